"""Load site and gateway files, turning every problem into an error naming file:line and point.

PyYAML is used to *compose* the document into nodes, which carry their line
numbers; we build plain Python data from the nodes ourselves so that we keep a
map from each data path to its line, and so that duplicate keys (which PyYAML
would silently resolve to the last one) are errors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from config.checks import check_serial_lines, check_site
from config.gateway_file import GatewayConfig
from config.issues import ConfigError, ConfigIssue, DataPath, SourceMap
from config.notifications import check_notifications
from config.plan import plan_problems
from config.secrets import placeholder_issues, resolve
from config.site import Site
from config.yamlguard import MAX_FILE_BYTES, YamlLimit, check_characters, check_structure

M = TypeVar("M", bound=BaseModel)
# A check over one validated site; the floors above add theirs (alarm set points).
SiteCheck = Callable[[Site, SourceMap], list[ConfigIssue]]


class _Composer:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[DataPath, int] = {}
        self.issues: list[ConfigIssue] = []
        # Scalars are resolved by SafeLoader's own constructors (ints, floats, bools, null).
        self._scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: DataPath) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, (*path, "<key>"))
                if not isinstance(key, str | int | float | bool):
                    self._issue(key_node, "mapping keys must be plain scalars")
                    continue
                if key in result:
                    self._issue(key_node, f"duplicate key {key!r}")
                    continue
                result[key] = self.build(value_node, (*path, str(key)))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        try:
            return self._scalars.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as error:
            self._issue(node, f"cannot read value: {error.problem}")
            return None

    def _issue(self, node: yaml.Node, message: str) -> None:
        self.issues.append(ConfigIssue(self.file, node.start_mark.line + 1, message))


def read_yaml(path: Path) -> tuple[Any, SourceMap]:
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError([ConfigIssue(
                file, None, f"the file has {size:,} bytes, more than the {MAX_FILE_BYTES:,} "
                "a config file may have"
            )])
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError([ConfigIssue(file, None, f"cannot read: {error}")]) from error
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise ConfigError([ConfigIssue(
            file, line, f"column {column}: not UTF-8 ({error.reason}): save the file as UTF-8"
        )]) from error
    try:
        # Bounds first: composing a hostile file is what would exhaust the gateway.
        check_characters(text)
        check_structure(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except YamlLimit as limit:
        raise ConfigError([ConfigIssue(file, limit.line, limit.message)]) from limit
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where: int | None = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError([ConfigIssue(file, where, f"not valid YAML: {problem}")]) from error
    if node is None:
        raise ConfigError([ConfigIssue(file, 1, "the file is empty")])
    composer = _Composer(file)
    data = composer.build(node, ())
    if composer.issues:
        raise ConfigError(composer.issues)
    return data, SourceMap(file, composer.lines)


def _data_path(data: Any, loc: tuple[str | int, ...]) -> DataPath:
    """Map a pydantic error location onto the document: skip the union tags pydantic adds."""
    path: list[str | int] = []
    current = data
    for element in loc:
        in_mapping = isinstance(current, dict) and element in current
        in_list = isinstance(current, list) and isinstance(element, int) and element < len(current)
        if not (in_mapping or in_list):
            continue  # a union tag or model name pydantic put in the location
        current = current[element]
        path.append(element)
    return tuple(path)


def _who(data: Any, path: DataPath) -> tuple[str | None, str | None]:
    """The device id and point tag a data path lies under, if any."""
    device = point = None
    current = data
    for index, element in enumerate(path):
        if isinstance(current, dict | list):
            try:
                current = current[element]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                break
        parent_key = path[index - 1] if index else None
        if isinstance(element, int) and isinstance(current, dict):
            if parent_key == "devices":
                device = _as_name(current.get("id"))
            elif parent_key == "points":
                point = _as_name(current.get("tag")) or f"#{element + 1}"
            elif parent_key == "subscriptions":
                point = _as_name(current.get("point"))  # a value subscription names its point
    return device, point


def _as_name(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _issues_from_validation(
    error: ValidationError, data: Any, source: SourceMap
) -> list[ConfigIssue]:
    issues = []
    for detail in error.errors():
        loc = tuple(detail["loc"])
        path = _data_path(data, loc)
        device, point = _who(data, path)
        field = ".".join(str(part) for part in path) or "(top level)"
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}"
            field = ".".join(str(part) for part in path[:-1]) or "(top level)"
        elif detail["type"] == "missing":
            message = f"missing key {loc[-1]!r}"
        issues.append(
            ConfigIssue(source.file, source.line_of(path), f"{field}: {message}", point, device)
        )
    return issues


def validate(model: type[M], data: Any, source: SourceMap) -> M:
    data, issues = resolve(data, source, Path(source.file).parent)
    issues.extend(placeholder_issues(data, source))
    if issues:
        raise ConfigError(issues)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_issues_from_validation(error, data, source)) from error


def load_site(path: Path, checks: Sequence[SiteCheck] = ()) -> Site:
    """Read and validate one site file: the model, the checks of this floor, then ``checks``."""
    site, _ = _load_site(path, checks)
    return site


def _load_site(path: Path, checks: Sequence[SiteCheck]) -> tuple[Site, SourceMap]:
    data, source = read_yaml(path)
    site = validate(Site, data, source)
    site, issues = _resolve_plan(site, path, source)
    issues += check_site(site, source)
    issues.extend(check_serial_lines([(site, source)]))
    for check in checks:
        issues.extend(check(site, source))
    if issues:
        raise ConfigError(issues)
    return site, source


def _resolve_plan(site: Site, path: Path, source: SourceMap) -> tuple[Site, list[ConfigIssue]]:
    """The plan image relative to the site file made absolute, and checked to be there."""
    plan = site.plan
    if plan is None:
        return site, []
    known = {s.id for s in site.hazard_sources} | {p.tag for _, p in site.points()}
    issues = [
        ConfigIssue(source.file, source.line_of(("plan", "positions", name)),
                    f"plan.positions.{name}: {problem}")
        for name, problem in plan_problems(plan, known)
    ]
    image = plan.image if plan.image.is_absolute() else path.parent / plan.image
    if not image.is_file():
        issues.insert(0, ConfigIssue(source.file, source.line_of(("plan", "image")),
                                     f"plan.image: no file {image.name} next to the site file"))
        return site, issues
    return site.model_copy(update={"plan": plan.model_copy(update={"image": image})}), issues


@dataclass(frozen=True, slots=True)
class LoadedGateway:
    config: GatewayConfig
    sites: list[Site]


def load_gateway(path: Path, checks: Sequence[SiteCheck] = ()) -> LoadedGateway:
    data, source = read_yaml(path)
    config = validate(GatewayConfig, data, source)
    loaded: list[tuple[Site, SourceMap]] = []
    issues: list[ConfigIssue] = []
    codes: dict[str, Path] = {}
    for index, site_path in enumerate(config.sites):
        resolved = site_path if site_path.is_absolute() else path.parent / site_path
        try:
            site, site_source = _load_site(resolved, checks)
        except ConfigError as error:
            issues.extend(error.issues)
            continue
        code = site.enterprise.code
        if code in codes:
            issues.append(
                ConfigIssue(
                    source.file,
                    source.line_of(("sites", index)),
                    f"{resolved} has enterprise code {code!r}, already used by {codes[code]}",
                )
            )
        codes[code] = resolved
        loaded.append((site, site_source))
    # Each file on its own agrees with itself; across files a port may still be shared.
    issues.extend(check_serial_lines(loaded))
    sites = [site for site, _ in loaded]
    if config.notifications is not None and not issues:
        # A route filter naming a site, source, device or tag that no file has would
        # silently send alarms nowhere.
        line = source.line_of(("notifications", "routes"))
        issues.extend(
            ConfigIssue(source.file, line, f"notifications: {problem}")
            for problem in check_notifications(config.notifications, sites)
        )
    if issues:
        raise ConfigError(issues)
    return LoadedGateway(config, sites)


def is_gateway_file(path: Path) -> bool:
    """A gateway file lists `sites:`; a site file starts from `enterprise:`."""
    data, _ = read_yaml(path)
    return isinstance(data, dict) and "sites" in data and "enterprise" not in data
