"""Errors a user can act on. Each names the file or URL, the line or key, and what to do.

Exit codes: 0 ok, 1 a gate failed, 2 usage, config or tool error.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2


class BrandAuditError(Exception):
    """Base class: something the user can fix. The CLI prints it without a traceback."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 key: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.key = key
        self.hint = hint
        super().__init__(self.describe())

    def describe(self) -> str:
        where = self.source or ""
        if self.line is not None:
            where += f":{self.line}"
        parts = [f"{where}: " if where else ""]
        if self.key:
            parts.append(f"[{self.key}] ")
        parts.append(self.message)
        if self.hint:
            parts.append(f" ({self.hint})")
        return "".join(parts)


class ConfigError(BrandAuditError):
    """``audit.toml`` is missing, malformed or has a wrong key or value."""


class BaselineError(BrandAuditError):
    """A baseline folder or its ``brand.toml`` is missing or wrong."""


class InputError(BrandAuditError):
    """One input (a page, a transcript, an export) could not be read. The run goes on."""


class ToolError(BrandAuditError):
    """The tool itself cannot go on: a model that will not load, a store it cannot open."""
