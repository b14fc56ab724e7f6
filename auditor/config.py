"""``audit.toml``: loaded once, validated once, with errors that say where and what to do.

```toml
[audit]
name = "Acme"
baseline = "baselines/acme"          # folder with brand.toml and exemplars/
store = ".brand-audit/audit.db"      # history and embedding cache (SQLite)
out = "brand-audit-report"           # where report.json and report.html go
fail_on = "error"                    # error | warning | never
model = "use"                        # use, minilm, or a sentence-transformers name/path

[[channels.files]]
path = "content/"
```

Each ``[[channels.<kind>]]`` section's keys are the fields of that channel kind's options
dataclass (see ``channels/``); unknown keys and wrong types are reported with the line.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import inspect
import re
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError

FAIL_ON = ("error", "warning", "never")

_AUDIT_KEYS = {
    "name": str,
    "baseline": str,
    "store": str,
    "out": str,
    "fail_on": str,
    "model": str,
    "allow_private_addresses": bool,
}


@dataclass(frozen=True)
class ChannelSection:
    """One ``[[channels.<kind>]]`` table: the kind's name and its validated options."""

    kind: str
    options: Any
    index: int  # position among sections of the same kind, for messages


@dataclass(frozen=True)
class AuditConfig:
    path: Path
    name: str
    baseline: Path
    store: Path
    out: Path
    fail_on: str
    model: str | None
    channels: tuple[ChannelSection, ...]
    gates: Any = None  # auditor.gates.Gates from [gates]; None when the table is absent
    check: Any = None  # auditor.content.CheckOptions from [check]
    limits: Any = None  # channels.limits.Limits from [limits] (defaults when absent)
    #: Crawlers may reach private/loopback addresses behind public names (intranet audits).
    allow_private_addresses: bool = False

    @property
    def base_dir(self) -> Path:
        return self.path.parent


def load_config(path: str | Path) -> AuditConfig:
    """Read and validate ``audit.toml``; raise ``ConfigError`` naming file, key and line."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("config file not found", source=str(path),
                          hint="create one with `brand-audit init` or pass --config PATH")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", source=str(path), line=_toml_error_line(exc),
                          hint="check quotes, brackets and `key = value` syntax") from None
    except RecursionError:  # tomllib recurses per nested array or inline table
        raise ConfigError("arrays or tables nested too deeply to read", source=str(path),
                          hint="an audit.toml needs a few levels at most; is this file "
                               "damaged?") from None
    return parse_config(data, path, text)


def parse_config(data: dict, path: Path, text: str = "") -> AuditConfig:
    src = str(path)
    _check_keys(data, {"audit", "channels", "gates", "check", "limits"}, src, text, prefix="")
    audit = data.get("audit", {})
    if not isinstance(audit, dict):
        raise ConfigError("must be a table", source=src, key="audit", line=_line_of(text, "audit"))
    _check_keys(audit, set(_AUDIT_KEYS), src, text, prefix="audit.")
    for key, kind in _AUDIT_KEYS.items():
        if key in audit and not isinstance(audit[key], kind):
            raise _type_error(src, text, f"audit.{key}", key, kind, audit[key])
    if "baseline" not in audit:
        raise ConfigError("missing required key", source=src, key="audit.baseline",
                          line=_line_of(text, "audit"),
                          hint='set baseline = "path/to/baseline" (a folder with brand.toml)')
    fail_on = audit.get("fail_on", "error")
    if fail_on not in FAIL_ON:
        raise ConfigError(f"unknown value {fail_on!r}", source=src, key="audit.fail_on",
                          line=_line_of(text, "fail_on"),
                          hint=f"expected one of {', '.join(FAIL_ON)}")
    base = path.parent
    channels = _parse_channels(data.get("channels", {}), src, text, base)
    gates = None
    if "gates" in data:
        from auditor.gates import parse_gates

        gates = parse_gates(data["gates"], src, text)
    from auditor.content import CheckOptions

    check = data.get("check", {})
    if not isinstance(check, dict):
        raise ConfigError("must be a table", source=src, key="check", line=_line_of(text, "check"))
    check = build_options(CheckOptions, check, src, text, prefix="check.")
    from channels.limits import Limits

    limits = data.get("limits", {})
    if not isinstance(limits, dict):
        raise ConfigError("must be a table", source=src, key="limits",
                          line=_line_of(text, "limits"))
    limits = build_options(Limits, limits, src, text, prefix="limits.")
    return AuditConfig(
        path=path,
        name=audit.get("name", ""),
        baseline=(base / audit["baseline"]).resolve(),
        store=(base / audit.get("store", ".brand-audit/audit.db")),
        out=(base / audit.get("out", "brand-audit-report")),
        fail_on=fail_on,
        model=audit.get("model"),
        channels=channels,
        gates=gates,
        check=check,
        limits=limits,
        allow_private_addresses=audit.get("allow_private_addresses", False),
    )


def _parse_channels(channels: Any, src: str, text: str, base: Path) -> tuple[ChannelSection, ...]:
    from channels import channel_kinds

    kinds = channel_kinds()
    if not isinstance(channels, dict):
        raise ConfigError("must be tables like [[channels.web]]", source=src, key="channels",
                          line=_line_of(text, "channels"))
    sections: list[ChannelSection] = []
    for kind_name, tables in channels.items():
        if kind_name not in kinds:
            raise ConfigError(
                f"unknown channel kind {kind_name!r}", source=src, key=f"channels.{kind_name}",
                line=_line_of(text, f"channels.{kind_name}"),
                hint=_did_you_mean(kind_name, kinds) + f"known kinds: {', '.join(sorted(kinds))}")
        if isinstance(tables, dict):
            tables = [tables]
        if not isinstance(tables, list):
            raise ConfigError("must be an array of tables", source=src,
                              key=f"channels.{kind_name}", hint=f"write [[channels.{kind_name}]]")
        for index, table in enumerate(tables):
            options = build_options(kinds[kind_name].options, table, src, text,
                                    prefix=f"channels.{kind_name}[{index}].")
            sections.append(ChannelSection(kind_name, options, index))
    return tuple(sections)


def build_options(options_type: type, table: dict, src: str, text: str, prefix: str) -> Any:
    """Validate ``table`` against a frozen options dataclass and build it."""
    fields = {f.name: f for f in dataclasses.fields(options_type)}
    hints = typing.get_type_hints(options_type)
    _check_keys(table, set(fields), src, text, prefix=prefix)
    values = {}
    for name, value in table.items():
        expected = hints[name]
        if not _matches(value, expected):
            raise _type_error(src, text, prefix + name, name, expected, value,
                              hint=option_docs(options_type).get(name))
        values[name] = value
    missing = [
        name for name, f in fields.items()
        if name not in values and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING  # type: ignore[misc]
    ]
    if missing:
        raise ConfigError("missing required key", source=src, key=prefix + missing[0],
                          line=_line_of(text, prefix.rstrip(".").split("[")[0]),
                          hint=f"add {missing[0]} = ... ({_type_name(hints[missing[0]])})"
                          + (f": {doc}" if (doc := option_docs(options_type).get(missing[0]))
                             else ""))
    try:
        return options_type(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc), source=src, key=prefix.rstrip(".")) from None


def _matches(value: Any, expected: Any) -> bool:
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(expected))
    if expected is type(None):
        return value is None
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin in (list, tuple):
        (item,) = typing.get_args(expected)[:1] or (Any,)
        return isinstance(value, list) and all(item is Any or _matches(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if expected is Any:
        return True
    return isinstance(value, expected)


def _type_name(expected: Any) -> str:
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(expected) if a is not type(None))
    if origin in (list, tuple):
        return f"a list of {_type_name(typing.get_args(expected)[0])}s"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            dict: "a table"}.get(expected, getattr(expected, "__name__", str(expected)))


def _type_error(src: str, text: str, key: str, bare: str, expected: Any, value: Any,
                hint: str | None = None) -> ConfigError:
    return ConfigError(f"expected {_type_name(expected)}, got {type(value).__name__} {value!r}",
                       source=src, key=key, line=_line_of(text, bare), hint=hint)


@functools.cache
def option_docs(options_type: type) -> dict[str, str]:
    """Each option's ``#:`` comment in its dataclass's source (or a base class's), as one
    line: what a config error says about the key. An option without one is left out."""
    docs: dict[str, str] = {}
    for klass in reversed(options_type.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            lines = inspect.getsource(klass).splitlines()
        except (OSError, TypeError):  # no source (a frozen application): errors go without
            continue
        comment: list[str] = []
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("#:"):
                comment.append(stripped[2:].strip())
                continue
            field_name = re.match(r"(\w+)\s*:", stripped)
            if comment and field_name:
                docs[field_name.group(1)] = " ".join(comment).replace("``", "")
            comment = []
    return docs


def _check_keys(table: dict, allowed: set[str], src: str, text: str, prefix: str) -> None:
    from auditor.secrets import SECRET_KEYS, plain_secret_hint

    for key in table:
        if key not in allowed and key.lower() in SECRET_KEYS:
            # Never echo the value: it is a secret that should not be in this file at all.
            section = prefix.split(".")[1].split("[")[0] if prefix.count(".") > 1 else "audit"
            raise ConfigError("a secret in plain text", source=src, key=prefix + key,
                              line=_line_of(text, key), hint=plain_secret_hint(key, section))
        if key not in allowed:
            raise ConfigError(
                "unknown key", source=src, key=prefix + key, line=_line_of(text, key),
                hint=_did_you_mean(key, allowed) + f"allowed: {', '.join(sorted(allowed))}")


def _did_you_mean(key: str, allowed: Any) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def _line_of(text: str, key: str) -> int | None:
    """Best-effort line of ``key`` in TOML text (tomllib does not report positions)."""
    if not text:
        return None
    bare = key.split(".")[-1]
    table = rf"\[\[?[ \t]*{re.escape(key)}[ \t]*\]\]?"
    assignment = rf"\"?{re.escape(bare)}\"?[ \t]*="
    pattern = re.compile(rf"^[ \t]*({table}|{assignment})", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _toml_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    lineno = getattr(exc, "lineno", None)
    if lineno:
        return lineno
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else None
