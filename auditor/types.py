"""The data that flows through an audit: touchpoints in, findings and scores out.

Everything here is immutable. Collectors build ``Touchpoint`` values, the scorer turns them
into ``TouchpointResult`` values, and an ``AuditRun`` holds one whole audit. ``report.json``
(see ``reports.json_report``) is a direct view of ``AuditRun``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

Status = Literal["ok", "warn", "diverges"]
Severity = Literal["info", "warning", "error"]

#: Channels a touchpoint can belong to; each is also a config section name.
CHANNELS = ("web", "social", "calls", "chat", "email", "sms", "files")

# Half of a UTF-16 pair on its own: JSON lets an export write one ("\ud83d", an emoji cut in
# two), and a file name of bytes that are not UTF-8 is read as some. No encoder, hash or model
# takes them, so copy keeps U+FFFD in their place.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(text: str) -> str:
    if text.isascii():  # most URLs and much copy: answered from the string's header
        return text
    return _LONE_SURROGATE.sub("\ufffd", text) if _LONE_SURROGATE.search(text) else text


def display_path(path: Path, base: Path) -> str:
    """``path`` as reports name it: relative to ``base`` (the folder of audit.toml, or the
    working folder) when it is inside it, with forward slashes; else the path as given. A
    report is shared, so it names files the way the team reaches them, not one machine's
    absolute layout."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


@dataclass(frozen=True)
class Locator:
    """Where a piece of copy lives, precise enough to go and fix it.

    ``source`` is a URL or a file path. The rest is whatever the collector knows:
    a line and column in a file, a CSS path in a page, a time span in a call.
    """

    source: str
    line: int | None = None
    column: int | None = None
    css: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.source, str):
            object.__setattr__(self, "source", _encodable(self.source))

    def describe(self) -> str:
        """``path:line:col``, ``url#css`` or ``file@mm:ss`` for people to read."""
        text = self.source
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        if self.css:
            text += f" ({self.css})"
        if self.start_ms is not None:
            seconds = self.start_ms // 1000
            text += f" @{seconds // 60:02d}:{seconds % 60:02d}"
        return text

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Block:
    """One piece of copy with its dotted scope, e.g. ``web.heading.h1`` or ``call.agent.turn``.

    ``scored`` is False for context that must never count as brand copy
    (a customer's turn in a call, a quoted reply in an e-mail).
    """

    text: str
    scope: str
    locator: Locator
    scored: bool = True
    speaker: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.text, str):
            object.__setattr__(self, "text", _encodable(self.text))


@dataclass(frozen=True)
class Touchpoint:
    """One place where the brand speaks: a page, a post, a call, an e-mail, a file."""

    id: str
    channel: str
    source: str
    title: str
    language: str
    blocks: tuple[Block, ...]
    captured_at: datetime | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("id", "source", "title"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, _encodable(value))
        if any(isinstance(v, str) and _LONE_SURROGATE.search(v)
               for v in self.metadata.values()):
            object.__setattr__(self, "metadata", {
                k: _encodable(v) if isinstance(v, str) else v for k, v in self.metadata.items()})

    @property
    def agent_id(self) -> str | None:
        return self.metadata.get("agent_id")

    @property
    def scored_blocks(self) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.scored and b.text.strip())

    @property
    def locator(self) -> Locator:
        return self.blocks[0].locator if self.blocks else Locator(self.source)


@dataclass(frozen=True)
class Exemplar:
    """A passage of approved copy, shown next to a finding as what on-brand sounds like."""

    text: str
    source: str
    similarity: float | None = None


@dataclass(frozen=True)
class Finding:
    """Something a reviewer should look at, with the evidence and what to do about it."""

    rule: str
    severity: Severity
    message: str
    evidence: str
    locator: Locator | None = None
    span: tuple[int, int] | None = None  # character offsets of evidence in the block text
    suggestion: str | None = None
    exemplar: Exemplar | None = None
    fingerprint: str = ""
    block: int | None = None  # index of the block in ``Touchpoint.blocks`` the span refers to
    #: The message and suggestion in other report languages: (language, message, suggestion).
    translations: tuple[tuple[str, str, str | None], ...] = ()


@dataclass(frozen=True)
class TouchpointResult:
    touchpoint: Touchpoint
    score: float
    status: Status
    findings: tuple[Finding, ...] = ()
    #: Voice dimension -> position on it, -1.0 .. +1.0 (see ``auditor.tone``).
    tone: Mapping[str, float] = field(default_factory=dict)
    #: Raw similarity to the approved copy, before calibration (None: nothing to judge).
    similarity: float | None = None
    #: Where the touchpoint sits on the 2-D brand map (same projection as the exemplars).
    position: tuple[float, float] | None = None


#: How a collection error that is no failure starts: a file left out by design (a PDF or an
#: image on a crawled site), listed so that nothing is left out silently.
SKIPPED = "skipped: "


def skipped_by_design(error: str) -> bool:
    """Whether a collection error's text says the source was left out by design."""
    return error.startswith(SKIPPED)


@dataclass(frozen=True)
class CollectionError:
    """A source that could not be collected; the run goes on without it."""

    source: str
    error: str
    channel: str | None = None

    def __post_init__(self) -> None:
        for name in ("source", "error"):
            if isinstance(getattr(self, name), str):
                object.__setattr__(self, name, _encodable(getattr(self, name)))


@dataclass(frozen=True)
class ChannelSummary:
    channel: str
    score: float | None
    touchpoints: int
    diverging: int
    warnings: int
    tone: Mapping[str, float] = field(default_factory=dict)  # mean of its touchpoints


@dataclass(frozen=True)
class Coverage:
    """Which channels express each key message: share of touchpoints that do, 0.0 .. 1.0."""

    messages: tuple[str, ...]
    channels: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]  # [message][channel]
    #: [message] the same message in the baseline's other languages (its translations, one
    #: row with it: a touchpoint that says any version says the message).
    versions: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class AgentSummary:
    agent_id: str
    touchpoints: int
    score: float | None
    status: Status


@dataclass(frozen=True)
class Comparison:
    previous_run: str
    new: tuple[str, ...]       # fingerprints of findings that were not in the previous run
    resolved: tuple[str, ...]  # fingerprints of findings that are gone
    score_delta: float | None


@dataclass(frozen=True)
class AuditRun:
    id: str
    started_at: datetime
    finished_at: datetime
    baseline: str
    model: str
    tool_version: str
    results: tuple[TouchpointResult, ...]
    channels: tuple[ChannelSummary, ...]
    agents: tuple[AgentSummary, ...]
    errors: tuple[CollectionError, ...]
    score: float | None
    comparison: Comparison | None = None
    coverage: Coverage | None = None
    #: Things the HTML view may show beyond the JSON contract (thresholds, brand name).
    context: Mapping[str, object] = field(default_factory=dict)

    @property
    def diverging(self) -> int:
        return sum(r.status == "diverges" for r in self.results)

    @property
    def warnings(self) -> int:
        return sum(r.status == "warn" for r in self.results)
