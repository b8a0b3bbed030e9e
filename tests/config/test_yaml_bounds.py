"""Hostile config files: each refused fast with file:line and a sentence, never a
traceback. The issue's own examples first (alias cycle, 10⁷-item alias bomb, NUL)."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from config.issues import ConfigError
from config.loader import load_gateway, load_site
from config.yamlguard import MAX_DEPTH, MAX_FILE_BYTES

BOMB = "\n".join(
    [f"a0: &a0 [{', '.join(['x'] * 10)}]"]
    + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 7)]
    + ["sites: [*a6]"]
)  # eight lines, 10⁷ items once expanded

CASES = {
    "alias cycle": ("sites: &a [*a]\n", 1, "alias *a refers to a node that contains it"),
    "cycle through a mapping": ("x: &m\n  y: [1, *m]\nsites: []\n", 2, "(a cycle)"),
    "alias bomb": (BOMB, 6, "alias *a4 expands the document beyond 200,000 values"),
    "NUL": ("sites:\n  - ab\x00c.yaml\n", 2, "column 7: control character NUL"),
    "escape character": ("sites: [a.yaml]\n# \x1b[31m\n", 2, "column 3: control character U+001B"),
    "deep nesting": ("sites: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n", 1,
                     f"nested deeper than {MAX_DEPTH} levels"),
    "not UTF-8": (b"sites:\n  - caf\xe9.yaml\n", 2, "column 8: not UTF-8"),
    "undefined alias": ("sites: [*nowhere]\n", 1, "not valid YAML"),
}


@pytest.mark.parametrize(("text", "line", "message"), CASES.values(), ids=list(CASES))
def test_hostile_files_are_refused_with_file_and_line(
    tmp_path: Path, text: str | bytes, line: int, message: str
) -> None:
    path = tmp_path / "gateway.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ConfigError) as caught:
            load_gateway(path)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    issue = caught.value.issues[0]
    assert str(issue).startswith(f"{path}:{line}: "), str(issue)
    assert message in issue.message
    assert elapsed < 2.0 and peak < 50 * 1024 * 1024  # the bomb took 41 s and 2.4 GB


def test_an_oversized_file_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    assert "more than the 4,194,304" in str(caught.value)


def test_anchors_used_sensibly_still_load(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "config" / "examples"
    (tmp_path / "dust.yaml").write_text(
        (examples / "dust_line.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = tmp_path / "gateway.yaml"
    path.write_text("defaults: &site dust.yaml\nsites: [*site]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:  # an unknown key, but the alias resolved
        load_gateway(path)
    assert "unknown key 'defaults'" in str(caught.value)
