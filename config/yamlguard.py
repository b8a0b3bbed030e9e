"""Bounds on a YAML file before it is composed: size, characters, nesting, aliases.

The same loader runs inside the gateway on reload, so a hostile or broken file must give
a clean error, fast, and never exhaust the process:

- a file larger than ``MAX_FILE_BYTES`` is not read;
- a control character (NUL and the like) is reported with its line and column (PyYAML
  reports a character offset only);
- nesting deeper than ``MAX_DEPTH`` is refused (PyYAML composes recursively: a deep file
  would end in a RecursionError traceback);
- an alias inside the node it refers to (``a: &a [*a]``) is a cycle, refused at its line;
- aliases that expand the document beyond ``MAX_NODES`` nodes (a "billion laughs" file of
  eight lines becomes 10⁷ items) are refused at the alias that crosses the limit.

The check walks PyYAML's event stream, which is iterative and holds one path of open
collections at a time: its cost is the file's size, not the expansion's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000

# What YAML 1.1 (PyYAML's reader) accepts: tab, line breaks, printable characters.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


class YamlLimit(Exception):
    """The file breaks a bound; ``line`` is 1-based (None for the file as a whole)."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def check_characters(text: str) -> None:
    found = _NOT_PRINTABLE.search(text)
    if found is None:
        return
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    code = ord(found.group())
    name = "NUL" if code == 0 else f"U+{code:04X}"
    raise YamlLimit(line, f"column {column}: control character {name} is not allowed in "
                          "YAML (a binary file, or a copy and paste gone wrong?)")


@dataclass
class _Open:
    anchor: str | None
    size: int = 0  # everything under this node so far, aliases expanded


@dataclass
class _Walk:
    sizes: dict[str, int] = field(default_factory=dict)  # anchor -> expanded size
    stack: list[_Open] = field(default_factory=list)
    total: int = 0  # values of the whole document, expanded, so far

    def add(self, size: int, line: int | None, what: str) -> None:
        """``size`` more values, inside the innermost open collection."""
        self.total += size
        if self.total > MAX_NODES:
            raise YamlLimit(line, f"{what} expands the document beyond {MAX_NODES:,} values: "
                                  "aliases (*name) repeat too much")
        if self.stack:
            self.stack[-1].size += size


def check_structure(text: str) -> None:
    """YamlLimit for nesting, alias cycles and expansion; YAML syntax errors pass through
    (the composer reports them with their line)."""
    walk = _Walk()
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, yaml.CollectionStartEvent):
            if len(walk.stack) >= MAX_DEPTH:
                raise YamlLimit(line, f"nested deeper than {MAX_DEPTH} levels")
            walk.add(1, line, "this collection")
            walk.stack.append(_Open(event.anchor))
        elif isinstance(event, yaml.CollectionEndEvent):
            done = walk.stack.pop()
            if done.anchor is not None:
                walk.sizes[done.anchor] = done.size + 1  # with the collection itself
            if walk.stack:
                walk.stack[-1].size += done.size  # in the total already, as they came
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                walk.sizes[event.anchor] = 1
            walk.add(1, line, "this value")
        elif isinstance(event, yaml.AliasEvent):
            anchor = event.anchor
            if any(open_.anchor == anchor for open_ in walk.stack):
                raise YamlLimit(line, f"alias *{anchor} refers to a node that contains it "
                                      "(a cycle)")
            if anchor not in walk.sizes:
                continue  # an undefined alias: the composer reports it with its line
            walk.add(walk.sizes[anchor], line, f"alias *{anchor}")
