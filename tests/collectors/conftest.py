"""Tests of the collectors floor.

pytest puts tests/ on sys.path (for tests/conftest.py), where tests/collectors would be taken
for the `collectors` package as a namespace package when the project root is not on sys.path
(the editable install's import hook only runs after sys.path). With the root on sys.path the
real package wins."""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.append(_ROOT)
