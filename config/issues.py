"""What is wrong with a config file, and where: file, line, device and point."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


class SourceMap:
    """Where each value of a loaded document came from.

    ``lines`` may be worked out only when first asked for (``compute``): keeping a line
    for every value of a site of 50,000 points costs hundreds of MB, and the lines are
    needed only to report a problem.
    """

    __slots__ = ("_compute", "_lines", "file")

    def __init__(
        self,
        file: str,
        lines: dict[DataPath, int] | None = None,
        *,
        compute: Callable[[], dict[DataPath, int]] | None = None,
    ) -> None:
        self.file = file
        self._lines = lines
        self._compute = compute

    @property
    def lines(self) -> dict[DataPath, int]:
        if self._lines is None:
            self._lines = self._compute() if self._compute is not None else {}
            self._compute = None
        return self._lines

    def line_of(self, path: DataPath) -> int | None:
        lines = self.lines
        for end in range(len(path), -1, -1):
            line = lines.get(path[:end])
            if line is not None:
                return line
        return None
