"""Sandbox uids for this test run, apart from any other run's on the same machine.

The container tier kills every process of its uid after each child, and the simulation of
Docker's container shares the host's process space: two test runs (a developer's and CI's)
with the same uids would kill each other's sandboxes.
"""

from __future__ import annotations

import os

#: 64 uids from a base that depends on this run's process id; far from login uids (1000...).
UID_BASE = 200_000 + (os.getpid() % 10_000) * 64
