"""Call transcripts: one call is one touchpoint (``calls:<path>``, ``calls:<path>#<call id>``).

Formats are read by ``channels.transcripts``: plain text, WebVTT, SRT, Whisper/WhisperX,
AWS Transcribe, Deepgram, AssemblyAI JSON and CSV (many calls in one file), detected from the
content unless ``format`` says otherwise. Plain text, one file per call::

    # call: 2024-05-14-0031        optional headers: call, agent, language, date, direction
    # agent: anna
    [00:00:03] Agent Anna: Good morning, Acme support, this is Anna.
    [00:00:07] Customer: Hi, my order has not arrived.
    It was due on Monday.          a line with no speaker continues the turn before it

**Roles.** A speaker is the agent when their label equals or starts with one of
``agent_speakers`` ("Agent Anna") or matches ``agent_pattern``; a customer when it matches
``customer_speakers``; any other label is kept as unscored context. When no label in a call
is an agent's (diarised labels like ``spk_0`` or ``SPEAKER_00``), the roles are *guessed*:
the speaker who greets with one of ``company_names`` or opens like an agent ("how can I help",
"меня зовут") is the agent, else, when no customer label matched either, whoever speaks first
on an inbound call (second on an outbound one). A guess is marked on the touchpoint
(metadata ``role_guess = "true"`` and ``role_note`` saying why) so the report can show it.

Only agent turns are brand copy (``call.agent.turn``, scored); customer turns
(``call.customer.turn``) are kept, unscored, as context around a flagged turn.

**Agents.** The agent id is, first found: the ``agents_file`` row for the call id; the
transcript's own ``agent`` (a ``# agent:`` header, a CSV ``agent_column``); the
``agents_file`` row for the agent's speaker label; the ``agent`` group of
``agent_from_filename``; the agent's label without its role word ("Agent Anna" -> ``anna``),
or the named group ``agent`` of ``agent_pattern``; else ``unknown``.

**Privacy.** With ``mask_personal_data`` (the default) phone numbers, e-mail addresses and card
numbers are replaced in every turn, title and metadata value (see ``auditor.privacy``).
"""

from __future__ import annotations

import csv
import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from auditor.privacy import mask_personal_data
from auditor.text import declared_language, detect_language
from auditor.types import Block, CollectionError, Locator, Touchpoint, display_path
from channels import ChannelKind, CollectContext, CollectResult
from channels.files import decode_text
from channels.limits import DEFAULT_LIMITS, LimitError, Limits, read_file
from channels.transcripts import (
    FORMATS,
    CsvColumns,
    CsvRecordError,
    Transcript,
    TranscriptError,
    Turn,
    parse_transcripts,
    read_csv_records,
)

DIRECTIONS = ("inbound", "outbound")

# Phrases only the company's side says when it opens a call or chat (first turns only).
_AGENT_OPENERS = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"how (can|may) i help", r"thank(s| you) for (calling|contacting|waiting)",
    r"\bthis is \w+ (from|at|with)\b", r"\bmy name is\b", r"\b\w+ speaking\b",
    r"чем (я )?могу (вам )?помочь", r"меня зовут", r"спасибо за (звонок|обращение|ожидание)",
    r"слушаю вас", r"\bкомпания\b",
))
# Labels a diariser invents; they say nothing about who the agent is.
_GENERIC_LABEL = re.compile(r"^(spk|speaker|ch|channel|спикер|говорящий)?[\s_-]*\w{0,2}\d*$",
                            re.IGNORECASE)


@dataclass(frozen=True)
class CallsOptions:
    """``[[channels.calls]]``: call transcripts, one file per call or a CSV of many calls."""

    #: A transcript file or a folder of them (walked recursively); relative to the config file.
    path: str
    #: Glob pattern(s) for transcript file names in a folder.
    pattern: str | list[str] = field(
        default_factory=lambda: ["*.txt", "*.vtt", "*.srt", "*.json", "*.csv"])
    #: auto (detect from the content), txt, vtt, srt, whisper, aws, deepgram, assemblyai, csv.
    format: str = "auto"
    #: Speaker labels of the company's side; a label that equals or starts with one of them
    #: (any case) is an agent, e.g. "Agent Anna". Their turns are scored.
    agent_speakers: list[str] = field(
        default_factory=lambda: ["Agent", "Оператор", "Operator", "Менеджер"])
    #: Speaker labels of the other side; their turns are context, never scored.
    customer_speakers: list[str] = field(
        default_factory=lambda: ["Customer", "Client", "Клиент", "Caller"])
    #: A regular expression for agent labels (searched in the label, any case); a named group
    #: ``agent`` in it gives the agent id, e.g. ``"^(?:rep|agent)[ _-](?P<agent>\\w+)$"``.
    agent_pattern: str | None = None
    #: Guess the roles when no label is an agent's (see the module docs); false: such a call
    #: is an error.
    guess_roles: bool = True
    #: The company's names as agents say them ("Sosna", "Сосна"); who says one first is the
    #: agent when roles are guessed.
    company_names: list[str] = field(default_factory=list)
    #: inbound (the customer calls: the agent speaks first) or outbound; a ``# direction:``
    #: header overrides it per call. Used only when roles are guessed.
    direction: str = "inbound"
    #: A regular expression with a named group ``agent``, searched in the file name, e.g.
    #: ``"-(?P<agent>[a-z]+)\\.\\w+$"`` for ``2026-11-02-0931-anna.txt``.
    agent_from_filename: str | None = None
    #: A CSV (relative to the config file) mapping calls or speaker labels to agent ids:
    #: header ``agent_id`` plus ``call_id`` and/or ``speaker``.
    agents_file: str | None = None
    #: Replace phone numbers, e-mail addresses and card numbers before anything is stored.
    mask_personal_data: bool = True
    #: CSV exports: the columns holding the call id, speaker, text and start time (seconds or
    #: hh:mm:ss), and optionally the agent id, date and language of the call.
    call_id_column: str = "call_id"
    speaker_column: str = "speaker"
    text_column: str = "text"
    start_column: str = "start"
    agent_column: str = "agent_id"
    date_column: str = "date"
    language_column: str = "language"

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format: unknown format {self.format!r}; expected one of "
                             f"{', '.join(FORMATS)}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction: expected inbound or outbound, got {self.direction!r}")
        for key in ("agent_pattern", "agent_from_filename"):
            value = getattr(self, key)
            if value is None:
                continue
            try:
                compiled = re.compile(value, re.IGNORECASE)
            except re.error as exc:
                raise ValueError(f"{key}: not a valid regular expression: {exc}") from None
            if key == "agent_from_filename" and "agent" not in compiled.groupindex:
                raise ValueError("agent_from_filename: needs a named group `agent`, e.g. "
                                 "'-(?P<agent>[a-z]+)\\.txt$'")

    @property
    def columns(self) -> CsvColumns:
        return CsvColumns(self.call_id_column, self.speaker_column, self.text_column,
                          self.start_column, self.agent_column, self.date_column,
                          self.language_column)

    @property
    def patterns(self) -> list[str]:
        return [self.pattern] if isinstance(self.pattern, str) else list(self.pattern)


@dataclass(frozen=True)
class AgentMap:
    """Agent ids from an ``agents_file``: by call id and by speaker label (any case)."""

    by_call: dict[str, str] = field(default_factory=dict)
    by_speaker: dict[str, str] = field(default_factory=dict)


def collect(options: CallsOptions, ctx: CollectContext) -> Iterator[CollectResult]:
    """One touchpoint per call; a malformed transcript is a ``CollectionError`` naming its line."""
    yield from collect_conversations(options, ctx, channel="calls")


def collect_conversations(options: CallsOptions, ctx: CollectContext, *, channel: str
                          ) -> Iterator[CollectResult]:
    """The calls collector, also used by the chat channel (``channel = "chat"``)."""
    section = f"[[channels.{channel}]]"
    root = _resolve(options.path, ctx)
    if not root.exists():
        yield CollectionError(source=options.path, channel=channel,
                              error=f"path does not exist: {root}; check `path` in {section}")
        return
    agents = AgentMap()
    if options.agents_file:
        agents, errors = load_agent_map(_resolve(options.agents_file, ctx), options.agents_file)
        for error in errors:
            yield CollectionError(source=error[0], error=error[1], channel=channel)
        if errors and not (agents.by_call or agents.by_speaker):
            return  # agent scorecards built without the mapping would be wrong
    if root.is_file():
        files = [root]
    else:
        files = sorted(
            f for f in root.rglob("*")
            if f.is_file() and any(fnmatch.fnmatch(f.name, p) for p in options.patterns)
            and not any(p.startswith(".") for p in f.relative_to(root).parts)
        )
        if not files:
            yield CollectionError(source=options.path, channel=channel,
                                  error=f"no transcripts matching {options.patterns} in {root}")
            return
    for file in files:
        display = display_path(file, ctx.base_dir)
        try:
            text = decode_text(read_file(file, ctx.limits))
        except LimitError as exc:
            yield CollectionError(source=display, error=str(exc), channel=channel)
            continue
        except (OSError, ValueError) as exc:
            yield CollectionError(source=display, error=f"cannot read transcript: {exc}",
                                  channel=channel)
            continue
        yield from conversation_touchpoints(text, display, options, agents, channel=channel,
                                            limits=ctx.limits)


def conversation_touchpoints(text: str, source: str, options: CallsOptions,
                             agents: AgentMap | None = None, *, channel: str = "calls",
                             limits: Limits = DEFAULT_LIMITS) -> Iterator[CollectResult]:
    """Touchpoints (or located errors) for every conversation in one transcript file."""
    agents = agents or AgentMap()
    items = parse_transcripts(text, options.format, columns=options.columns,
                              known_speaker=lambda label: _configured_role(label, options)
                              is not None, limits=limits)
    several = len(items) > 1 or (items and isinstance(items[0], Transcript)
                                 and items[0].format == "csv")
    for ordinal, item in enumerate(items, 1):
        try:
            if isinstance(item, TranscriptError):
                raise item
            yield _touchpoint(item, source, options, agents, channel,
                              ordinal if several else None)
        except TranscriptError as exc:
            if isinstance(item, Transcript) and several:  # a CSV call: say which one
                exc.call_id = exc.call_id or item.call_id
                exc.line = exc.line or item.line
            where = f"{source}:{exc.line}" if exc.line else source
            # Parse errors quote the offending line or cell: copy with customers' details.
            message = _mask(str(exc), options)
            if exc.call_id:
                message = f"call {_mask(exc.call_id, options)!r}: {message}"
            yield CollectionError(source=where, error=message, channel=channel)


def _touchpoint(transcript: Transcript, source: str, options: CallsOptions, agents: AgentMap,
                channel: str, ordinal: int | None) -> Touchpoint:
    headers = {k.lower(): v for k, v in transcript.headers.items()}
    direction = headers.get("direction", options.direction).strip().lower()
    roles, guess = assign_roles(transcript.turns, options, direction)
    prefix = "call" if channel == "calls" else channel
    blocks = []
    agent_labels: list[str] = []
    for index, turn in enumerate(transcript.turns):
        role = roles[turn.speaker]
        if role == "agent" and turn.speaker not in agent_labels:
            agent_labels.append(turn.speaker)
        end = turn.end_ms
        if end is None and turn.start_ms is not None and index + 1 < len(transcript.turns):
            end = transcript.turns[index + 1].start_ms
        blocks.append(Block(
            text=_mask(turn.text, options),
            scope=f"{prefix}.{role}.turn",
            locator=Locator(source, line=turn.line, column=turn.column,
                            start_ms=turn.start_ms, end_ms=end),
            scored=role == "agent",
            speaker=_mask(turn.speaker, options),
        ))

    stem = Path(source).stem
    call_id = transcript.call_id or stem
    agent_id = _agent_id(call_id, headers, agent_labels, source, options, agents,
                         guessed=guess is not None)
    language = _language(headers.get("language", ""),
                         " ".join(b.text for b in blocks if b.scored))
    metadata = {"agent_id": agent_id, "call_id": call_id, "language": language,
                "format": transcript.format}
    if headers.get("date"):
        metadata["date"] = headers["date"]
    if len(agent_labels) > 1:  # a transferred call
        metadata["agents"] = ", ".join(agent_labels)
    if guess is not None:
        metadata["role_guess"] = "true"
        metadata["role_note"] = guess
    metadata = {k: _mask(v, options) for k, v in metadata.items()}
    shown_id = metadata["call_id"]
    touchpoint_id = f"{channel}:{source}"
    if ordinal is not None:  # several calls in one file (CSV)
        touchpoint_id += f"#{shown_id}" if shown_id == call_id else f"#{ordinal}"
    noun = "Call" if channel == "calls" else channel.capitalize()
    return Touchpoint(
        id=touchpoint_id,
        channel=channel,
        source=source,
        title=f"{noun} {shown_id}",
        language=language,
        blocks=tuple(blocks),
        captured_at=_date(headers.get("date", "")),
        metadata=metadata,
    )


def assign_roles(turns: tuple[Turn, ...], options: CallsOptions, direction: str = "inbound"
                 ) -> tuple[dict[str, str], str | None]:
    """Role of every speaker label ("agent", "customer", "other") and a note when guessed.

    Raises ``TranscriptError`` when no speaker can be taken as the agent.
    """
    labels = list(dict.fromkeys(t.speaker for t in turns))
    configured = {label: _configured_role(label, options) for label in labels}
    if "agent" in configured.values():
        unknown = [label for label, role in configured.items() if role is None]
        # A two-party call whose other side has a diariser's label: that is the customer.
        other = "customer" if len(unknown) == 1 and "customer" not in configured.values() \
            else "other"
        return {label: role or other for label, role in configured.items()}, None

    candidates = [label for label in labels if configured[label] != "customer"]
    agent, reason = (_guess_agent(turns, candidates, options, direction, configured)
                     if options.guess_roles and candidates else (None, ""))
    if agent is None:
        hint = ("add the agent's label to agent_speakers (or set agent_pattern)"
                if options.guess_roles else
                "add the agent's label to agent_speakers, or set guess_roles = true")
        raise TranscriptError(
            f"no agent turns: speakers are {', '.join(sorted(labels))}, and none equals or "
            f"starts with one of agent_speakers {options.agent_speakers}"
            + (f" or matches agent_pattern {options.agent_pattern!r}"
               if options.agent_pattern else "")
            + f"; {hint} in the [[channels.calls]] or [[channels.chat]] section")
    roles = {label: "agent" if label == agent else (configured[label] or "customer")
             for label in labels}
    note = (f"{agent!r} is taken as the agent because they {reason}; set "
            f"agent_speakers or agent_pattern in the config to be sure.")
    return roles, note


def _guess_agent(turns: tuple[Turn, ...], candidates: list[str], options: CallsOptions,
                 direction: str, configured: dict[str, str | None]) -> tuple[str | None, str]:
    openings: dict[str, list[str]] = {label: [] for label in candidates}
    for turn in turns:
        if turn.speaker in openings and len(openings[turn.speaker]) < 3:
            openings[turn.speaker].append(turn.text)
    scores: dict[str, tuple[int, str]] = {}
    for label, texts in openings.items():
        text = " ".join(texts)
        folded = text.casefold()
        company = next((c for c in options.company_names if c.strip()
                        and c.casefold() in folded), None)
        opener = next((m.group(0) for p in _AGENT_OPENERS if (m := p.search(text))), None)
        score = (2 if company else 0) + (1 if opener else 0)
        if score:
            why = f"greet with the company name {company!r}" if company else \
                f"open like an agent ({opener!r})"
            scores[label] = (score, why)
    if scores:
        best = max(s for s, _ in scores.values())
        top = [label for label, (s, _) in scores.items() if s == best]
        if len(top) == 1:
            return top[0], scores[top[0]][1]
    if "customer" in configured.values():
        return None, ""  # the customer is known and nobody sounds like an agent: don't guess
    order = list(dict.fromkeys(t.speaker for t in turns))
    if direction == "outbound":
        if len(order) > 1:
            return order[1], "speak second on an outbound call (the customer answers first)"
        return order[0], "are the only speaker"
    return order[0], "speak first on an inbound call"


def _configured_role(label: str, options: CallsOptions) -> str | None:
    if _prefix(label, options.agent_speakers) is not None:
        return "agent"
    if options.agent_pattern and re.search(options.agent_pattern, label, re.IGNORECASE):
        return "agent"
    if _prefix(label, options.customer_speakers) is not None:
        return "customer"
    return None


def _prefix(label: str, names: list[str]) -> str | None:
    """The longest name that ``label`` equals or starts with as a whole word ("Agent Anna")."""
    folded = label.casefold().strip()
    for name in sorted(names, key=len, reverse=True):
        key = name.casefold().strip()
        if not key or not folded.startswith(key):
            continue
        rest = folded[len(key):]
        # "spk_1" must not claim "spk_10"; "Agent1" is still "Agent".
        if not rest or not rest[0].isalnum() or (rest[0].isdigit() and not key[-1].isdigit()):
            return name
    return None


def _agent_id(call_id: str, headers: dict[str, str], agent_labels: list[str], source: str,
              options: CallsOptions, agents: AgentMap, *, guessed: bool) -> str:
    if call_id in agents.by_call:
        return agents.by_call[call_id]
    if _slug(headers.get("agent", "")):
        return _slug(headers["agent"])
    label = agent_labels[0] if agent_labels else ""
    if label.casefold() in agents.by_speaker:
        return agents.by_speaker[label.casefold()]
    if options.agent_from_filename:
        match = re.search(options.agent_from_filename, Path(source).name, re.IGNORECASE)
        if match and match.group("agent"):
            return _slug(match.group("agent"))
    if options.agent_pattern:
        match = re.search(options.agent_pattern, label, re.IGNORECASE)
        if match and "agent" in match.re.groupindex and match.group("agent"):
            return _slug(match.group("agent"))
    prefix = _prefix(label, options.agent_speakers)
    if prefix is not None:
        return _slug(label[len(prefix):]) or "unknown"
    if guessed and not _GENERIC_LABEL.match(label):
        return _slug(label) or "unknown"  # a real name from a voice tag ("Anna Petrova")
    return "unknown"


def load_agent_map(path: Path, display: str) -> tuple[AgentMap, list[tuple[str, str]]]:
    """Read an ``agents_file``; return the map and ``(source, error)`` pairs for bad rows."""
    try:
        text = decode_text(read_file(path))
    except (OSError, ValueError) as exc:
        return AgentMap(), [(display, f"cannot read agents_file: {exc}")]
    try:
        header, rows = read_csv_records(text)
        if "agent_id" not in header or not {"call_id", "speaker"} & set(header):
            return AgentMap(), [(f"{display}:1", f"agents_file needs an `agent_id` column and "
                                 f"a `call_id` or `speaker` column (columns: "
                                 f"{', '.join(header) or 'none'})")]
        by_call: dict[str, str] = {}
        by_speaker: dict[str, str] = {}
        errors = []
        for line, row in rows:
            if isinstance(row, CsvRecordError):
                errors.append((f"{display}:{line}", str(row)))
                continue
            agent = _slug(str(row.get("agent_id") or ""))
            call = str(row.get("call_id") or "").strip()
            speaker = str(row.get("speaker") or "").strip()
            if not agent or not (call or speaker):
                errors.append((f"{display}:{line}", "each row needs agent_id and a call_id or "
                                                    "speaker"))
                continue
            if call:
                by_call[call] = agent
            if speaker:
                by_speaker[speaker.casefold()] = agent
    except csv.Error as exc:
        return AgentMap(), [(display, f"agents_file is not valid CSV: {exc}")]
    return AgentMap(by_call, by_speaker), errors


def _language(declared: str, text: str) -> str:
    return declared_language(declared) or detect_language(text)


def _mask(value: str, options: CallsOptions) -> str:
    return mask_personal_data(value) if options.mask_personal_data else value


def _resolve(path: str, ctx: CollectContext) -> Path:
    root = Path(path).expanduser()
    return root if root.is_absolute() else ctx.base_dir / root


def _slug(value: str) -> str:
    """``" Anna  Smith) "`` -> ``"anna-smith"``: an agent id that matches across files."""
    return "-".join(re.sub(r"[^\w\s-]", " ", value).casefold().split())


def _date(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


KIND = ChannelKind(
    name="calls",
    options=CallsOptions,
    collect=collect,
    description="Call transcripts (txt, WebVTT, SRT, Whisper, AWS Transcribe, Deepgram, "
                "AssemblyAI, CSV); agent turns are scored",
)
