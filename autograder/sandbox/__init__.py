"""The trust boundary. Everything in this package except `launcher.py` runs inside the child.

`child.py`, `confine.py`, `probes.py` and `protocol.py` are imported by the sandboxed child before
it drops its privileges; they import only the standard library, numpy and torch, never the grader's
exercises, checks or references. `launcher.py` is the grader's side: it starts the child, feeds it
the submission and reads back plain data and arrays, which the grader validates before use.
"""
