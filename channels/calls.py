"""Call transcripts in plain text: one call is one touchpoint (``calls:<path>``).

Format, one file per call::

    # call: 2024-05-14-0031        optional headers: call, agent, language, date
    # agent: anna
    [00:00:03] Agent Anna: Good morning, Acme support, this is Anna.
    [00:00:07] Customer: Hi, my order has not arrived.
    It was due on Monday.          a line with no speaker continues the turn before it

Timestamps (``[hh:mm:ss]``, ``[mm:ss]``, optional ``.mmm``) are optional. Only the agent's turns
are brand copy; customer turns are kept as unscored context.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from auditor.text import detect_language, normalize_space
from auditor.types import Block, CollectionError, Locator, Touchpoint
from channels import ChannelKind, CollectContext, CollectResult
from channels.files import decode_text

FORMAT_HINT = ("expected optional `# key: value` headers, then one turn per line: "
               "`[mm:ss] Speaker: text` (timestamp optional); a line without a speaker "
               "continues the turn before it")

_HEADER = re.compile(r"^#\s*([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_TIMESTAMP = r"\[(?:(?P<h>\d{1,2}):)?(?P<m>\d{1,2}):(?P<s>\d{2})(?:[.,](?P<ms>\d{1,3}))?\]"
_TURN = re.compile(
    rf"^\s*(?:{_TIMESTAMP}\s*)?"
    # "Speaker:" then a space or the line end, so "https://..." in a line is not a speaker.
    r"(?P<speaker>[^\W\d_][\w .'()\-]{0,39}?)\s*:(?=\s|$)\s*(?P<text>.*)$"
)
_TIMESTAMP_ONLY = re.compile(rf"^\s*{_TIMESTAMP}")


@dataclass(frozen=True)
class CallsOptions:
    """``[[channels.calls]]``: call transcripts as text files."""

    #: A transcript file or a folder of them (walked recursively); relative to the config file.
    path: str
    #: Glob pattern for transcript file names in a folder.
    pattern: str = "*.txt"
    #: Speaker labels of the company's side; a label that equals or starts with one of them
    #: (any case) is an agent, e.g. "Agent Anna". Their turns are scored.
    agent_speakers: list[str] = field(
        default_factory=lambda: ["Agent", "Оператор", "Operator", "Менеджер"])
    #: Speaker labels of the other side; their turns are context, never scored.
    customer_speakers: list[str] = field(
        default_factory=lambda: ["Customer", "Client", "Клиент", "Caller"])


class TranscriptError(ValueError):
    """A transcript that does not follow the format; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class _Turn:
    speaker: str
    line: int
    column: int
    start_ms: int | None
    parts: list[str]


def collect(options: CallsOptions, ctx: CollectContext) -> Iterator[CollectResult]:
    """One touchpoint per transcript; a malformed transcript is a ``CollectionError``."""
    root = Path(options.path).expanduser()
    if not root.is_absolute():
        root = ctx.base_dir / root
    if not root.exists():
        yield CollectionError(source=options.path, channel="calls",
                              error=f"path does not exist: {root}; check `path` in "
                                    f"[[channels.calls]]")
        return
    if root.is_file():
        files = [root]
    else:
        files = sorted(
            f for f in root.rglob(options.pattern)
            if f.is_file() and not any(p.startswith(".") for p in f.relative_to(root).parts)
        )
        if not files:
            yield CollectionError(source=options.path, channel="calls",
                                  error=f"no transcripts matching {options.pattern!r} in {root}")
            return
    for file in files:
        display = _display(file, ctx.base_dir)
        try:
            text = decode_text(file.read_bytes())
            yield parse_transcript(text, display, options)
        except TranscriptError as exc:
            where = f"{display}:{exc.line}" if exc.line else display
            yield CollectionError(source=where, error=str(exc), channel="calls")
        except (OSError, ValueError) as exc:
            yield CollectionError(source=display, error=f"cannot read transcript: {exc}",
                                  channel="calls")


def _display(file: Path, base_dir: Path) -> str:
    try:
        return file.resolve().relative_to(base_dir.resolve()).as_posix()
    except ValueError:
        return file.as_posix()


def parse_transcript(text: str, source: str, options: CallsOptions) -> Touchpoint:
    """Parse one transcript. Raises ``TranscriptError`` naming the line that breaks the format."""
    headers: dict[str, str] = {}
    turns: list[_Turn] = []
    timed = False  # once turns carry timestamps, an untimed "Word: ..." line is a continuation
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if not turns and line.startswith("#"):
            match = _HEADER.match(line)
            if match:
                headers[match.group(1).lower()] = match.group(2)
            continue  # a comment before the first turn
        match = _TURN.match(raw)
        if match and _starts_turn(match, timed, options):
            if not turns:
                timed = match.group("m") is not None
            column = match.start("text") + 1
            turns.append(_Turn(match.group("speaker").strip(), number, column,
                               _milliseconds(match), [match.group("text")]))
        elif turns:
            turns[-1].parts.append(line)
        else:
            raise TranscriptError(
                f"line {number} has no speaker and no turn before it to continue: "
                f"{_shorten(line)!r}; {FORMAT_HINT}", number)
    if not turns:
        raise TranscriptError(f"no turns found; {FORMAT_HINT}")

    blocks: list[Block] = []
    agent_labels: list[str] = []
    for index, turn in enumerate(turns):
        role = _role(turn.speaker, options)
        if role == "agent" and turn.speaker not in agent_labels:
            agent_labels.append(turn.speaker)
        following = turns[index + 1].start_ms if index + 1 < len(turns) else None
        locator = Locator(source, line=turn.line, column=turn.column, start_ms=turn.start_ms,
                          end_ms=following if turn.start_ms is not None else None)
        blocks.append(Block(
            text=normalize_space(" ".join(turn.parts)),
            scope=f"call.{role}.turn",
            locator=locator,
            scored=role == "agent",
            speaker=turn.speaker,
        ))
    blocks = [b for b in blocks if b.text]
    if not agent_labels:
        speakers = sorted({t.speaker for t in turns})
        raise TranscriptError(
            f"no agent turns: speakers are {', '.join(speakers)}, and none equals or starts "
            f"with one of agent_speakers {options.agent_speakers}; add the agent's label to "
            f"agent_speakers in [[channels.calls]]")

    agent_id = _slug(headers.get("agent", "")) or _agent_from_label(agent_labels[0], options)
    call_id = headers.get("call") or Path(source).stem
    declared = headers.get("language") or headers.get("lang") or ""
    language = re.split(r"[-_]", declared.strip().lower())[0] or \
        detect_language(" ".join(b.text for b in blocks if b.scored))
    metadata = {"agent_id": agent_id, "call_id": call_id, "language": language}
    if headers.get("date"):
        metadata["date"] = headers["date"]
    if len(agent_labels) > 1:  # a transferred call
        metadata["agents"] = ", ".join(agent_labels)
    return Touchpoint(
        id=f"calls:{source}",
        channel="calls",
        source=source,
        title=f"Call {call_id}",
        language=language,
        blocks=tuple(blocks),
        captured_at=_date(headers.get("date", "")),
        metadata=metadata,
    )


def _starts_turn(match: re.Match[str], timed: bool, options: CallsOptions) -> bool:
    """Whether a ``Word: text`` line is a new turn rather than a continuation line.

    A timestamp or a known speaker label makes it a turn. An unknown label counts only while
    the transcript has no timestamps, so "Note: ..." inside a timed transcript stays text.
    """
    if match.group("m") is not None:
        return True
    if _role(match.group("speaker").strip(), options) != "other":
        return True
    return not timed


def _role(label: str, options: CallsOptions) -> str:
    if _prefix(label, options.agent_speakers) is not None:
        return "agent"
    if _prefix(label, options.customer_speakers) is not None:
        return "customer"
    return "other"


def _prefix(label: str, names: list[str]) -> str | None:
    folded = label.casefold()
    for name in sorted(names, key=len, reverse=True):
        if folded == name.casefold() or folded.startswith(name.casefold()):
            return name
    return None


def _agent_from_label(label: str, options: CallsOptions) -> str:
    prefix = _prefix(label, options.agent_speakers) or ""
    return _slug(label[len(prefix):]) or "unknown"


def _slug(value: str) -> str:
    """``" Anna  Smith) "`` -> ``"anna-smith"``: an agent id that matches across files."""
    return "-".join(re.sub(r"[^\w\s-]", " ", value).casefold().split())


def _milliseconds(match: re.Match[str]) -> int | None:
    if match.group("m") is None:
        return None
    hours = int(match.group("h") or 0)
    ms = int((match.group("ms") or "0").ljust(3, "0"))
    return ((hours * 60 + int(match.group("m"))) * 60 + int(match.group("s"))) * 1000 + ms


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _date(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


KIND = ChannelKind(
    name="calls",
    options=CallsOptions,
    collect=collect,
    description="Call transcripts (one `Speaker: text` turn per line); agent turns are scored",
)
