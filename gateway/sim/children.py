"""Server processes started by the demo, tests and benchmarks must not outlive them.

A clean stop terminates them; this covers the unclean one (the parent killed with
SIGKILL, a test runner cut off): the kernel sends the child SIGTERM when its parent dies.
"""

from __future__ import annotations

import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """``preexec_fn`` for server subprocesses (Linux; elsewhere it does nothing)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
