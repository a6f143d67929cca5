"""The trust boundary, both sides of it in one package.

The child's side runs next to student code and imports only the standard library, numpy, torch
and itself, never the grader's exercises, checks or references: `zygote`, `child`, `confine`
(with `syscalls`), `probes`, `recipes/`, `protocol`, `breach`, `deaths`, `alarm` and `warm`
(tests/test_layout.py holds this list to it).

The grader's side starts the child and reads its answers as untrusted data: `launcher` (one
submission's run, relaunching around crashes), `spawn` (starting a child), `exchange` (the plain
data that crosses over) and `tiers` (which confinement holds on this machine, proven by trying).
"""
