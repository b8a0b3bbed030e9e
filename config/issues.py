"""What is wrong with a config file, and where: file, line, device and point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DataPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    file: str
    line: int | None
    message: str
    point: str | None = None
    device: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = []
        if self.device:
            who.append(f"device {self.device}")
        if self.point:
            who.append(f"point {self.point}")
        prefix = f"{where}: " + (" ".join(who) + ": " if who else "")
        return prefix + self.message


class ConfigError(Exception):
    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Where each value of a loaded document came from."""

    file: str
    lines: dict[DataPath, int]

    def line_of(self, path: DataPath) -> int | None:
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None
