"""Loading a config file: YAML with line numbers, ``${ENV}`` interpolation, every error at once.

Problems are reported as ``file:line: location: message`` (``busywork.yaml:14:
connectors[1].path: field required``), all of them in one :class:`ConfigError`, never as
a traceback. Resolved secrets are registered for redaction and never written back.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr, ValidationError

import detectors  # noqa: F401  (registers every detector)
from alignment.goals import resolve_goals
from busywork.errors import ConfigError
from busywork.logs import register_secret
from config.models import AppConfig
from detectors.registry import detector_classes

Location = tuple[str | int, ...]
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\$\{")
#: Variables whose values are masked in logs even when the field is not a SecretStr.
_SECRET_NAME = re.compile(r"(?i)pass|secret|token|key|credential|auth")
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_MESSAGES = {"missing": "field required", "extra_forbidden": "unknown key"}


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> AppConfig:
    """Read, interpolate and validate the config file at ``path``.

    Raises:
        ConfigError: with every problem found, each naming its place.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    return parse_config(text, source=str(path), base_dir=path.resolve().parent, environ=environ)


def parse_config(
    text: str,
    *,
    source: str = "<config>",
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> AppConfig:
    """Validate config ``text``; see :func:`load_config`."""
    environ = os.environ if environ is None else environ
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    lines: dict[Location, int] = {}
    problems: list[tuple[Location, str]] = []
    data = _build(node, (), lines, problems, environ) if node is not None else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the config must be a mapping with a business section")
    env_failures = {location for location, _ in problems}
    problems += _detector_problems(data.get("detectors"))
    try:
        config = AppConfig.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        config = None
        for error in exc.errors():
            location = _clean_location(error["loc"], data)
            if location not in env_failures:
                problems.append((location, _message(error["type"], error["msg"])))
    if config is not None:
        problems += _goal_problems(config)
    if problems:
        problems.sort(key=lambda problem: _line(lines, problem[0]) or 0)
        rendered = [_render(source, lines, location, message) for location, message in problems]
        raise ConfigError(f"{source}: {len(rendered)} problem(s) in the configuration", rendered)
    assert config is not None
    _register_secrets(config)
    return config


def _build(
    node: yaml.Node,
    location: Location,
    lines: dict[Location, int],
    problems: list[tuple[Location, str]],
    environ: Mapping[str, str],
) -> Any:
    lines.setdefault(location, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in result:
                problems.append(((*location, key), "duplicate key"))
            lines[(*location, key)] = key_node.start_mark.line + 1
            result[key] = _build(value_node, (*location, key), lines, problems, environ)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*location, i), lines, problems, environ)
            for i, item in enumerate(node.value)
        ]
    if ":" in node.value and node.tag in (_INT, _FLOAT):
        # YAML 1.1 reads 09:30 as the base-60 number 570; a person means a time of day.
        return node.value
    value = yaml.SafeLoader("").construct_object(node, deep=True)
    if isinstance(value, str) and "$" in value:
        return _interpolate(value, location, problems, environ)
    return value


def _interpolate(
    text: str, location: Location, problems: list[tuple[Location, str]], environ: Mapping[str, str]
) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, default = match.group(1), match.group(2)
        if name in environ:
            if _SECRET_NAME.search(name):
                register_secret(environ[name])
            return environ[name]
        if default is not None:
            return default
        problems.append((location, f"environment variable {name} is not set"))
        return ""

    return _ENV.sub(replace, text)


def _clean_location(raw: tuple[str | int, ...], data: Any) -> Location:
    """Drop the union tag pydantic adds after a list index (``connectors.1.csv.path``)."""
    cleaned: list[str | int] = []
    node = data
    for part in raw:
        if (
            cleaned
            and isinstance(cleaned[-1], int)
            and isinstance(node, dict)
            and node.get("type") == part
        ):
            continue
        cleaned.append(part)
        node = node[part] if isinstance(node, dict | list) and _has(node, part) else None  # type: ignore[index]
    return tuple(cleaned)


def _has(node: dict[str, Any] | list[Any], part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def _detector_problems(section: Any) -> list[tuple[Location, str]]:
    problems: list[tuple[Location, str]] = []
    known = detector_classes()
    for kind, settings in (section or {}).items() if isinstance(section, dict) else ():
        if kind not in known:
            problems.append((("detectors", kind), f"unknown detector; valid: {', '.join(known)}"))
            continue
        signature = inspect.signature(known[kind].__init__)
        params = settings.items() if isinstance(settings, dict) else ()
        for name, value in params:
            if name == "enabled":
                continue
            parameter = signature.parameters.get(name)
            if parameter is None or name == "self":
                valid = ", ".join(["enabled", *known[kind].param_names()])
                problems.append((("detectors", kind, name), f"unknown parameter; valid: {valid}"))
            elif not _same_kind(parameter.default, value):
                expected = type(parameter.default).__name__
                problems.append((("detectors", kind, name), f"expected {expected}, got {value!r}"))
    return problems


def _goal_problems(config: AppConfig) -> list[tuple[Location, str]]:
    """Goals that validate but cannot be ranked (free text that names no objective)."""
    try:
        resolve_goals(config.goals, config.alignment)
    except ConfigError as exc:
        found: list[tuple[Location, str]] = []
        for problem in exc.problems:
            where, _, message = problem.partition(": ")
            index = int(where.split("[")[1].split("]")[0])
            field = where.rsplit(".", 1)[-1]
            found.append((("goals", index, field), message))
        return found
    return []


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    return default is None or isinstance(value, type(default))


def _line(lines: dict[Location, int], location: Location) -> int | None:
    return next(
        (lines[location[:n]] for n in range(len(location), -1, -1) if location[:n] in lines), None
    )


def _message(error_type: str, message: str) -> str:
    if error_type in _MESSAGES:
        return _MESSAGES[error_type]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return _lower_first(message)


def _render(source: str, lines: dict[Location, int], location: Location, message: str) -> str:
    line = _line(lines, location)
    where = f"{source}:{line}" if line else source
    return f"{where}: {format_location(location)}: {message}"


def format_location(location: Location) -> str:
    """``('connectors', 1, 'path')`` as ``connectors[1].path``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:] if message[1:2].islower() else message


def _register_secrets(model: Any) -> None:
    if isinstance(model, SecretStr):
        register_secret(model.get_secret_value())
    elif isinstance(model, Mapping):
        for value in model.values():
            _register_secrets(value)
    elif isinstance(model, list | tuple):
        for value in model:
            _register_secrets(value)
    elif hasattr(model, "__pydantic_fields__"):
        for name in type(model).model_fields:
            _register_secrets(getattr(model, name))
