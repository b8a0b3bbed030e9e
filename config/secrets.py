"""Secrets in config files: ``${NAME}`` from the environment, ``*_file`` keys, and no
placeholders.

- ``token: ${INFLUXDB_TOKEN}``: any string value may name environment variables; an unset
  one is an error at its line (never an empty secret). ``$${`` writes a literal ``${``.
- ``token_file: /run/secrets/influx``: a key ending in ``_file`` whose stem is a secret key
  (``password_file``, ``token_file``, ``secret_file``) is replaced by the stem with the
  file's content (trailing line break removed), as Docker and systemd hand secrets over.
- A secret whose value is a placeholder (``change-me``, ``changeme``, ``secret``, ...) is
  refused: a deployment copied from an example must not run with the example's secret.
  ``hazgw demo`` builds its config in code and is not affected.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from config.issues import ConfigIssue, DataPath, SourceMap

SECRET_KEYS = frozenset({"password", "token", "secret"})
PLACEHOLDERS = frozenset({
    "change-me", "changeme", "change_me", "change-this", "secret", "password", "placeholder",
    "xxx", "xxxx", "todo", "token", "your-token", "your-password", "replace-me", "example",
})
MAX_SECRET_FILE_BYTES = 64 * 1024
_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand(value: str, environ: Mapping[str, str]) -> str:
    """``value`` with each ``${NAME}`` replaced; KeyError(NAME) when one is unset."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "${"
        return environ[name]

    return _REFERENCE.sub(replace, value)


def resolve(data: Any, source: SourceMap, base: Path,
            environ: Mapping[str, str] | None = None) -> tuple[Any, list[ConfigIssue]]:
    """The document with references resolved, and the problems found (with lines)."""
    env = os.environ if environ is None else environ
    issues: list[ConfigIssue] = []

    def walk(value: Any, path: DataPath) -> Any:
        if isinstance(value, str):
            try:
                return expand(value, env)
            except KeyError as missing:
                issues.append(ConfigIssue(source.file, source.line_of(path),
                                          f"environment variable {missing.args[0]} is not set"))
                return value
        if isinstance(value, list):
            return [walk(item, (*path, index)) for index, item in enumerate(value)]
        if isinstance(value, dict):
            result: dict[Any, Any] = {}
            for key, item in value.items():
                resolved = walk(item, (*path, str(key)))
                stem = key[: -len("_file")] if isinstance(key, str) else None
                if stem in SECRET_KEYS and isinstance(key, str) and key.endswith("_file"):
                    if stem in value:
                        issues.append(ConfigIssue(source.file, source.line_of((*path, key)),
                                                  f"both {stem} and {key}: give one"))
                        continue
                    text = _read_secret(resolved, base, source, (*path, key), issues)
                    if text is not None:
                        result[stem] = text
                        source.lines[(*path, stem)] = source.line_of((*path, key)) or 0
                    continue
                result[key] = resolved
            return result
        return value

    return walk(data, ()), issues


def _read_secret(value: Any, base: Path, source: SourceMap, path: DataPath,
                 issues: list[ConfigIssue]) -> str | None:
    line = source.line_of(path)
    if not isinstance(value, str) or not value:
        issues.append(ConfigIssue(source.file, line, f"{path[-1]}: a file path is needed"))
        return None
    file = Path(value) if Path(value).is_absolute() else base / value
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_SECRET_FILE_BYTES + 1)
        if len(raw) > MAX_SECRET_FILE_BYTES:
            raise ValueError(f"longer than {MAX_SECRET_FILE_BYTES} bytes")
        text = raw.decode("utf-8").rstrip("\r\n")
    except (OSError, ValueError) as error:
        issues.append(ConfigIssue(source.file, line, f"{path[-1]}: cannot read {file}: {error}"))
        return None
    if not text:
        issues.append(ConfigIssue(source.file, line, f"{path[-1]}: {file} is empty"))
        return None
    return text


def placeholder_issues(data: Any, source: SourceMap) -> list[ConfigIssue]:
    """Secret values that are an example's placeholder, each at its line."""
    issues: list[ConfigIssue] = []
    stack: list[tuple[Any, DataPath]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            stack.extend((item, (*path, str(key))) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
        elif (
            isinstance(value, str) and path and path[-1] in SECRET_KEYS
            and value.strip().strip("<>").lower() in PLACEHOLDERS
        ):
            field = ".".join(str(part) for part in path)
            issues.append(ConfigIssue(
                source.file, source.line_of(path),
                f"{field}: {value!r} is a placeholder, not a secret: set the real one, e.g. "
                f"{path[-1]}: ${{NAME}} with NAME in the environment, or {path[-1]}_file",
            ))
    return sorted(issues, key=lambda issue: issue.line or 0)
