"""The front-end's pure modules under ``node --test`` (tests/frontend/*.test.mjs), so that
``make test`` runs them with the rest; a failure shows node's own report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def test_frontend_modules_under_node() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("the front-end tests need node (Debian: apt-get install nodejs)")
    # hooks.mjs makes /static/terms.js with this very interpreter, as the gateway would.
    env = {**os.environ, "HAZGW_PYTHON": sys.executable, "NO_COLOR": "1"}
    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", str(HERE.relative_to(ROOT)) + "/"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"node --test failed:\n{report}"
    # A run that found no test files passes too: make sure the tables actually ran.
    passed = re.search(r"^ℹ pass (\d+)$", report, re.MULTILINE)
    assert passed is not None and int(passed.group(1)) > 0, f"no front-end test ran:\n{report}"
