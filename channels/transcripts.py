"""Conversation transcript formats: detected from content, parsed into speaker turns.

Used by the calls and chat channels. Every format becomes the same thing: a ``Transcript`` of
``Turn`` values (speaker label, text, start/end time, line in the file when the format has
lines). Who is the agent and who is the customer is decided later, from the config
(``channels.calls``); here a speaker is only a label, written as the source writes it.

Formats (``format = "auto"`` detects them from the content, not from the file name):

``txt``
    ``Speaker: text`` per line, ``[hh:mm:ss]`` timestamps optional, ``# key: value`` headers
    (``call``, ``agent``, ``language``, ``date``, ``direction``) before the first turn; a line
    without a speaker continues the turn before it.
``vtt``
    WebVTT (parsed with webvtt-py); the speaker is the cue's ``<v Speaker>`` voice tag (several
    voices in one cue are split), else a ``Name: text`` prefix used in at least two cues (Zoom
    style) or a known role label, else the previous cue's speaker.
``srt``
    SubRip (parsed with ``srt``); the speaker is a ``Name: text`` or ``[Name] text`` prefix, found
    the same way as in WebVTT cues.
``whisper``
    OpenAI Whisper / WhisperX JSON: ``segments`` with ``start``, ``end``, ``text`` and, when
    diarised, ``speaker`` (or per-word ``speaker``).
``aws``
    Amazon Transcribe JSON: ``results.items`` with ``speaker_label`` (or
    ``results.speaker_labels.segments`` to map item times to speakers), or
    ``results.channel_labels`` for channel identification.
``deepgram``
    Deepgram JSON: ``results.utterances`` with ``speaker`` (``speaker 0``) or ``channel``, else
    ``results.channels[].alternatives[0].words`` with ``speaker``.
``assemblyai``
    AssemblyAI JSON: ``utterances`` with ``speaker`` ("A", "B", ...), times in milliseconds,
    else ``words`` with ``speaker``.
``csv``
    One turn per row: call id, speaker, text, start time (column names are options). A CSV may
    hold many calls: one transcript per call id, in order of first appearance.

Caption and ASR formats cut speech by time, not by turn, so consecutive pieces by the same
speaker are merged into one turn; ``txt`` and ``csv`` turns are kept as written.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from auditor.text import normalize_space
from channels.limits import DEFAULT_LIMITS, LimitError, Limits, check_json_depth

FORMATS = ("auto", "txt", "vtt", "srt", "whisper", "aws", "deepgram", "assemblyai", "csv")
JSON_FORMATS = ("whisper", "aws", "deepgram", "assemblyai")

TXT_HINT = ("expected optional `# key: value` headers, then one turn per line: "
            "`[mm:ss] Speaker: text` (timestamp optional); a line without a speaker "
            "continues the turn before it")


@dataclass(frozen=True)
class Turn:
    """One speaker's uninterrupted speech (or chat message)."""

    speaker: str
    text: str
    start_ms: int | None = None
    end_ms: int | None = None
    line: int | None = None    # 1-based line in the file, when the format has lines
    column: int | None = None  # 1-based column of the first character of the text


@dataclass(frozen=True)
class Transcript:
    """One conversation as the file tells it."""

    format: str
    turns: tuple[Turn, ...]
    #: Call id from the content (a ``# call:`` header, a CSV column); None: use the file name.
    call_id: str | None = None
    #: What the content says about the call: agent, language, date, direction.
    headers: Mapping[str, str] = field(default_factory=dict)
    line: int | None = None  # where this conversation starts in the file (CSV)


class TranscriptError(ValueError):
    """A transcript that does not follow its format; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None, call_id: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.call_id = call_id


@dataclass(frozen=True)
class CsvColumns:
    """Column names of a CSV transcript export."""

    call_id: str = "call_id"
    speaker: str = "speaker"
    text: str = "text"
    start: str = "start"
    agent: str = "agent_id"
    date: str = "date"
    language: str = "language"


#: Says whether a label is a configured agent or customer label (the ``txt`` and caption
#: parsers use it to tell "Agent: ..." turns from "Note: ..." text).
KnownSpeaker = Callable[[str], bool]


def parse_transcripts(text: str, fmt: str = "auto", *, columns: CsvColumns | None = None,
                      known_speaker: KnownSpeaker = lambda label: False,
                      limits: Limits = DEFAULT_LIMITS) -> list[Transcript | TranscriptError]:
    """Every conversation in ``text``; a broken one is a ``TranscriptError`` in the list.
    ``limits``: how deep JSON may nest (``[limits] max_json_depth``).

    Only CSV exports hold several conversations, so only they can give both transcripts and
    errors; for the other formats the list has exactly one item.
    """
    columns = columns or CsvColumns()
    try:
        if fmt == "auto":
            fmt = detect_format(text, columns, limits)
        if fmt == "csv":
            return list(_parse_csv(text, columns))
        if fmt in JSON_FORMATS:
            data = _load_json(text, limits)
            if not isinstance(data, (dict, list)):
                raise TranscriptError(f"expected a {fmt} JSON object, found "
                                      f"{type(data).__name__} {_shorten(repr(data))}", 1)
            try:
                return [_JSON_PARSERS[fmt](data, fmt)]
            except (AttributeError, TypeError, KeyError, IndexError) as exc:
                # Untrusted JSON in an unexpected shape (a number where an object belongs).
                raise TranscriptError(f"not {fmt} JSON as expected: an element has the "
                                      f"wrong type ({type(exc).__name__}: "
                                      f"{_shorten(str(exc))})") from None
        parser = {"txt": _parse_txt, "vtt": _parse_vtt, "srt": _parse_srt}.get(fmt)
        if parser is None:
            raise TranscriptError(f"unknown transcript format {fmt!r}; "
                                  f"known formats: {', '.join(FORMATS)}")
        return [parser(text, known_speaker)]
    except TranscriptError as exc:
        return [exc]


# -- detection --------------------------------------------------------------------------------

_SRT_CLOCK = r"\d{1,3}:\d{2}:\d{2}[,.]\d{1,3}"
_SRT_TIMING = re.compile(rf"^\s*{_SRT_CLOCK}\s*-->\s*{_SRT_CLOCK}")


def detect_format(text: str, columns: CsvColumns | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> str:
    """The transcript format of ``text``, judged from its content (see the module docstring)."""
    columns = columns or CsvColumns()
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("WEBVTT"):
        return "vtt"
    # "[00:01] Agent: ..." also starts with "[": a JSON array starts "[{" or "[]".
    if body.startswith("{") or re.match(r"\[\s*[{\]]", body):
        return json_format(_load_json(text, limits))
    lines = [line for line in body.splitlines()[:3] if line.strip()]
    if len(lines) >= 2 and lines[0].strip().isdigit() and _SRT_TIMING.match(lines[1]):
        return "srt"
    if lines and _csv_header(lines[0], columns) is not None:
        return "csv"
    return "txt"


def json_format(data: Any) -> str:
    """Which speech-to-text service wrote this JSON; ``TranscriptError`` if none fits."""
    if isinstance(data, dict):
        results = data.get("results")
        if isinstance(results, dict):
            if {"speaker_labels", "items", "transcripts", "channel_labels",
                    "audio_segments"} & results.keys():
                return "aws"
            if {"channels", "utterances"} & results.keys():
                return "deepgram"
        if "segments" in data:
            return "whisper"
        if "utterances" in data or ("words" in data and "text" in data):
            return "assemblyai"
    if isinstance(data, list) and data and all(isinstance(s, dict) and "text" in s for s in data):
        return "whisper"  # a bare list of segments, as some Whisper wrappers write it
    keys = ", ".join(sorted(data)[:8]) if isinstance(data, dict) else type(data).__name__
    raise TranscriptError(
        f"JSON of an unknown shape (top level: {keys}); expected Whisper (`segments`), AWS "
        f"Transcribe (`results.items`), Deepgram (`results.utterances` or `results.channels`) "
        f"or AssemblyAI (`utterances`); set `format` in [[channels.calls]] if it is one of them")


def _load_json(text: str, limits: Limits = DEFAULT_LIMITS) -> Any:
    try:
        check_json_depth(text, limits)  # json.loads would recurse until the stack gives out
    except LimitError as exc:
        raise TranscriptError(str(exc), _line_in(str(exc))) from None
    try:
        return json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise TranscriptError(f"not valid JSON: {exc.msg} at line {exc.lineno} column "
                              f"{exc.colno}", exc.lineno) from None


def _line_in(message: str) -> int | None:
    found = re.search(r"at line (\d+)", message)
    return int(found.group(1)) if found else None


# -- plain text -------------------------------------------------------------------------------

_HEADER = re.compile(r"^#\s*([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_TIMESTAMP = r"\[(?:(?P<h>\d{1,2}):)?(?P<m>\d{1,2}):(?P<s>\d{2})(?:[.,](?P<ms>\d{1,3}))?\]"
_LABEL = r"(?P<speaker>[^\W\d_][\w .'()\-]{0,39}?)"
_TURN = re.compile(
    rf"^\s*(?:{_TIMESTAMP}\s*)?"
    # "Speaker:" then a space or the line end, so "https://..." in a line is not a speaker.
    rf"{_LABEL}\s*:(?=\s|$)\s*(?P<text>.*)$"
)


@dataclass
class _Open:
    speaker: str
    line: int
    column: int
    start_ms: int | None
    parts: list[str]


def _parse_txt(text: str, known_speaker: KnownSpeaker) -> Transcript:
    headers: dict[str, str] = {}
    turns: list[_Open] = []
    timed = False  # once turns carry timestamps, an untimed "Word: ..." line is a continuation
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        if not turns and line.startswith("#"):
            match = _HEADER.match(line)
            if match:
                headers[match.group(1).lower()] = match.group(2)
            continue  # a comment before the first turn
        match = _TURN.match(raw.lstrip("\ufeff"))
        if match and _starts_turn(match, timed, known_speaker):
            if not turns:
                timed = match.group("m") is not None
            column = match.start("text") + 1 + (len(raw) - len(raw.lstrip("\ufeff")))
            turns.append(_Open(match.group("speaker").strip(), number, column,
                               _clock_ms(match), [match.group("text")]))
        elif turns:
            turns[-1].parts.append(line)
        else:
            raise TranscriptError(
                f"line {number} has no speaker and no turn before it to continue: "
                f"{_shorten(line)!r}; {TXT_HINT}", number)
    if not turns:
        raise TranscriptError(f"no turns found; {TXT_HINT}")
    out = []
    for index, turn in enumerate(turns):
        following = turns[index + 1].start_ms if index + 1 < len(turns) else None
        out.append(Turn(turn.speaker, normalize_space(" ".join(turn.parts)), turn.start_ms,
                        following if turn.start_ms is not None else None, turn.line, turn.column))
    call_id = headers.pop("call", None) or None
    if "lang" in headers and "language" not in headers:
        headers["language"] = headers.pop("lang")
    return Transcript("txt", tuple(t for t in out if t.text), call_id, headers)


def _starts_turn(match: re.Match[str], timed: bool, known_speaker: KnownSpeaker) -> bool:
    """Whether a ``Word: text`` line is a new turn rather than a continuation line.

    A timestamp or a known speaker label makes it a turn. An unknown label counts only while
    the transcript has no timestamps, so "Note: ..." inside a timed transcript stays text.
    """
    if match.group("m") is not None:
        return True
    if known_speaker(match.group("speaker").strip()):
        return True
    return not timed


def _clock_ms(match: re.Match[str]) -> int | None:
    if match.group("m") is None:
        return None
    hours = int(match.group("h") or 0)
    ms = int((match.group("ms") or "0").ljust(3, "0"))
    return ((hours * 60 + int(match.group("m"))) * 60 + int(match.group("s"))) * 1000 + ms


# -- captions: WebVTT and SRT -----------------------------------------------------------------

_VTT_TIMING = re.compile(
    r"^\s*(?:\d{2,}:)?\d{2}:\d{2}\.\d{3}\s+-->\s+(?:\d{2,}:)?\d{2}:\d{2}\.\d{3}(?:\s|$)")
_VOICE = re.compile(r"<v(?:\.[^\s>]+)?\s+([^>]+)>", re.IGNORECASE)
_TAG = re.compile(r"</?[^>]*>")
_PREFIX = re.compile(rf"^\s*(?:\[(?P<bracket>[^\]\n]{{1,40}})\]\s*|{_LABEL}\s*:\s+)(?P<text>.*)$",
                     re.DOTALL)


@dataclass(frozen=True)
class _Cue:
    start_ms: int
    end_ms: int
    line: int
    pieces: tuple[tuple[str | None, str], ...]  # (voice or None, text)


def _parse_vtt(text: str, known_speaker: KnownSpeaker) -> Transcript:
    import webvtt
    from webvtt.errors import MalformedFileError

    timing_lines = _check_vtt_blocks(text)
    try:
        vtt = webvtt.WebVTT.from_string(text.lstrip("\ufeff"))
    except MalformedFileError as exc:
        raise TranscriptError(f"not a valid WebVTT file: {exc}; it must start with `WEBVTT` "
                              f"and each cue needs `00:00:01.000 --> 00:00:04.000`", 1) from None
    captions = list(vtt)
    if len(captions) != len(timing_lines):
        raise TranscriptError(f"WebVTT cues could not all be read ({len(captions)} of "
                              f"{len(timing_lines)}); check the cue timings")
    cues = []
    for caption, timing_line in zip(captions, timing_lines):
        raw = caption.raw_text
        voices = list(_VOICE.finditer(raw))
        pieces: list[tuple[str | None, str]] = []
        if voices:
            if voices[0].start() > 0 and _strip_tags(raw[:voices[0].start()]):
                pieces.append((None, _strip_tags(raw[:voices[0].start()])))
            for n, voice in enumerate(voices):
                end = voices[n + 1].start() if n + 1 < len(voices) else len(raw)
                pieces.append((voice.group(1).strip(), _strip_tags(raw[voice.end():end])))
        else:
            pieces.append((None, _strip_tags(raw)))
        cues.append(_Cue(round(caption.start_in_seconds * 1000 + _ms_part(caption.start)),
                         round(caption.end_in_seconds * 1000 + _ms_part(caption.end)),
                         timing_line + 1, tuple(pieces)))
    return Transcript("vtt", _caption_turns(cues, known_speaker, "WebVTT cue"))


def _ms_part(clock: str) -> int:
    # webvtt-py's *_in_seconds are whole seconds; keep the milliseconds of "00:00:01.500".
    return int(clock.rsplit(".", 1)[1]) if "." in clock else 0


def _check_vtt_blocks(text: str) -> list[int]:
    """Line numbers of the cue timing lines; ``TranscriptError`` at the first broken block.

    webvtt-py skips a cue whose timing it cannot read; a transcript that silently loses a
    turn would be scored wrong, so a malformed block is an error naming its line.
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or not lines[0].startswith("WEBVTT"):
        raise TranscriptError("not a WebVTT file: the first line must be `WEBVTT`", 1)
    timings: list[int] = []
    index = 1
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        start = index
        while index < len(lines) and lines[index].strip():
            index += 1
        block = lines[start:index]
        if block[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        if _VTT_TIMING.match(block[0]):
            timings.append(start + 1)
        elif len(block) > 1 and _VTT_TIMING.match(block[1]) and "-->" not in block[0]:
            timings.append(start + 2)  # a cue identifier, then the timing
        else:
            # The broken line: an identifier's timing line below it, else the block's first.
            bad = start + 2 if len(block) > 1 and "-->" in block[1] else start + 1
            raise TranscriptError(
                f"line {bad}: a WebVTT cue needs a timing line like "
                f"`00:00:01.000 --> 00:00:04.000`, got {_shorten(lines[bad - 1])!r}", bad)
    if not timings:
        raise TranscriptError("no cues found in the WebVTT file")
    return timings


def _parse_srt(text: str, known_speaker: KnownSpeaker) -> Transcript:
    import srt

    body = text.lstrip("\ufeff")
    offset = len(text) - len(body)
    try:
        subtitles = list(srt.parse(body))
    except srt.SRTParseError as exc:
        line = text.count("\n", 0, exc.expected_start + offset) + 1
        first = exc.unmatched_content.strip().splitlines()[:2]
        raise TranscriptError(
            f"line {line}: not a valid SubRip block: {_shorten(' / '.join(first))!r}; each "
            f"block is a number, a timing line `00:00:01,000 --> 00:00:04,000`, then text",
            line) from None
    if not subtitles:
        raise TranscriptError("no subtitles found in the SRT file")
    timing_lines = [n for n, line in enumerate(text.splitlines(), 1) if _SRT_TIMING.match(line)]
    cues = []
    for n, sub in enumerate(subtitles):
        line = timing_lines[n] + 1 if n < len(timing_lines) else None
        content = sub.content
        voices = list(_VOICE.finditer(content))
        if voices:
            piece: tuple[str | None, str] = (voices[0].group(1).strip(), _strip_tags(content))
        else:
            piece = (None, _strip_tags(content))
        cues.append(_Cue(_td_ms(sub.start), _td_ms(sub.end), line or 0, (piece,)))
    return Transcript("srt", _caption_turns(cues, known_speaker, "subtitle"))


def _td_ms(delta: Any) -> int:
    return round(delta.total_seconds() * 1000)


def _strip_tags(value: str) -> str:
    return html.unescape(_TAG.sub("", value)).strip()


def _caption_turns(cues: list[_Cue], known_speaker: KnownSpeaker, what: str
                   ) -> tuple[Turn, ...]:
    """Speaker turns from caption cues: voices, then ``Name:`` prefixes, then continuation."""
    # A "Name:" prefix is a speaker when it is a known label or is used in two or more cues;
    # a one-off "Note: ..." inside a caption stays text.
    prefixes: dict[str, int] = {}
    for cue in cues:
        for voice, text in cue.pieces:
            match = _PREFIX.match(text) if voice is None else None
            if match:
                label = (match.group("bracket") or match.group("speaker")).strip()
                prefixes[label] = prefixes.get(label, 0) + 1
    pieces: list[Turn] = []
    current: str | None = None
    for cue in cues:
        for voice, text in cue.pieces:
            column = 1
            if voice is None:
                match = _PREFIX.match(text)
                if match:
                    label = (match.group("bracket") or match.group("speaker")).strip()
                    if known_speaker(label) or prefixes.get(label, 0) >= 2:
                        voice = label
                        column = match.start("text") + 1
                        text = match.group("text")
            if voice is not None:
                current = voice
            if current is None:
                raise TranscriptError(
                    f"line {cue.line}: the first {what} names no speaker ({_shorten(text)!r}); "
                    f"mark speakers with `<v Name>` voice tags or a `Name: ` prefix",
                    cue.line or None)
            pieces.append(Turn(current, normalize_space(text), cue.start_ms, cue.end_ms,
                               cue.line or None, column))
    return _merge(pieces)


# -- speech-to-text JSON ----------------------------------------------------------------------

def _parse_whisper(data: Any, fmt: str) -> Transcript:
    segments = data if isinstance(data, list) else data.get("segments")
    if not isinstance(segments, list):
        raise TranscriptError("Whisper JSON: `segments` must be a list of segments")
    pieces: list[Turn] = []
    unlabelled = 0
    for n, segment in enumerate(segments):
        where = f"segments[{n}]"
        if not isinstance(segment, dict):
            raise TranscriptError(f"Whisper JSON: {where} is not an object")
        text = _need_str(segment, "text", where)
        speaker = segment.get("speaker")
        if speaker is None:
            # WhisperX leaves a segment's speaker out when its words disagree; take theirs.
            words = [w.get("speaker") for w in segment.get("words") or []
                     if isinstance(w, dict) and w.get("speaker") is not None]
            speaker = max(set(words), key=words.count) if words else None
        if speaker is None:
            unlabelled += 1
            speaker = pieces[-1].speaker if pieces else None
        pieces.append(Turn(str(speaker) if speaker is not None else "", normalize_space(text),
                           _seconds_ms(segment.get("start"), f"{where}.start"),
                           _seconds_ms(segment.get("end"), f"{where}.end")))
    if pieces and unlabelled == len(pieces):
        raise TranscriptError(
            "Whisper JSON has no speaker labels, so the agent cannot be told from the customer; "
            "diarise it (WhisperX writes `speaker` on each segment) or export one file per "
            "speaker channel")
    if pieces and not pieces[0].speaker:
        first = next(p.speaker for p in pieces if p.speaker)
        pieces = [Turn(first, p.text, p.start_ms, p.end_ms) if not p.speaker else p
                  for p in pieces]
    headers = {}
    if isinstance(data, dict) and isinstance(data.get("language"), str):
        headers["language"] = data["language"]
    return Transcript(fmt, _merge(pieces), None, headers)


def _parse_aws(data: Any, fmt: str) -> Transcript:
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict):
        raise TranscriptError("AWS Transcribe JSON: `results` must be an object")
    items = results.get("items")
    if not isinstance(items, list):
        raise TranscriptError("AWS Transcribe JSON: `results.items` must be a list")
    speaker_of = _aws_speaker_lookup(results)
    words: list[Turn] = []
    for n, item in enumerate(items):
        where = f"results.items[{n}]"
        if not isinstance(item, dict):
            raise TranscriptError(f"AWS Transcribe JSON: {where} is not an object")
        alternatives = item.get("alternatives")
        if not isinstance(alternatives, list) or not alternatives or not isinstance(
                alternatives[0], dict):
            raise TranscriptError(f"AWS Transcribe JSON: {where}.alternatives must be a "
                                  f"non-empty list")
        content = _need_str(alternatives[0], "content", f"{where}.alternatives[0]")
        if item.get("type") == "punctuation":
            if words:  # punctuation sticks to the word before it
                last = words[-1]
                words[-1] = Turn(last.speaker, last.text + content, last.start_ms, last.end_ms)
            continue
        start = _seconds_ms(item.get("start_time"), f"{where}.start_time")
        end = _seconds_ms(item.get("end_time"), f"{where}.end_time")
        speaker = item.get("speaker_label") or item.get("channel_label") or speaker_of(start)
        if speaker is None:
            raise TranscriptError(
                f"AWS Transcribe JSON has no speaker for {where} ({content!r}); run the job "
                f"with ShowSpeakerLabels or ChannelIdentification")
        words.append(Turn(str(speaker), content, start, end))
    if not words:
        raise TranscriptError("AWS Transcribe JSON: `results.items` holds no words")
    if results.get("channel_labels") and not any(i.get("speaker_label") for i in items
                                                 if isinstance(i, dict)):
        words.sort(key=lambda w: w.start_ms or 0)  # channels are listed one after the other
    headers = {}
    if isinstance(results.get("language_code"), str):
        headers["language"] = results["language_code"]
    return Transcript(fmt, _merge(words, joiner=" "), None, headers)


def _aws_speaker_lookup(results: dict) -> Callable[[int | None], str | None]:
    """Speaker of an item by its start time, from ``speaker_labels`` or ``channel_labels``."""
    spans: list[tuple[int, int, str]] = []
    labels = results.get("speaker_labels")
    if isinstance(labels, dict):
        for segment in labels.get("segments") or []:
            for item in segment.get("items") or [segment]:
                start = _seconds_ms(item.get("start_time"), "speaker_labels.segments")
                end = _seconds_ms(item.get("end_time"), "speaker_labels.segments")
                if start is not None and end is not None and item.get("speaker_label"):
                    spans.append((start, end, str(item["speaker_label"])))
    channels = results.get("channel_labels")
    if isinstance(channels, dict):
        for channel in channels.get("channels") or []:
            for item in channel.get("items") or []:
                start = _seconds_ms(item.get("start_time"), "channel_labels.channels")
                end = _seconds_ms(item.get("end_time"), "channel_labels.channels")
                if start is not None and end is not None and channel.get("channel_label"):
                    spans.append((start, end, str(channel["channel_label"])))

    def lookup(start: int | None) -> str | None:
        if start is None:
            return None
        for begin, end, label in spans:
            if begin <= start <= end:
                return label
        return None

    return lookup


def _parse_deepgram(data: Any, fmt: str) -> Transcript:
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict):
        raise TranscriptError("Deepgram JSON: `results` must be an object")
    channels = results.get("channels") or []
    multichannel = isinstance(channels, list) and len(channels) > 1
    pieces: list[Turn] = []
    utterances = results.get("utterances")
    if isinstance(utterances, list) and utterances:
        for n, utterance in enumerate(utterances):
            where = f"results.utterances[{n}]"
            if not isinstance(utterance, dict):
                raise TranscriptError(f"Deepgram JSON: {where} is not an object")
            text = _need_str(utterance, "transcript", where)
            label = _deepgram_label(utterance, multichannel, where)
            pieces.append(Turn(label, normalize_space(text),
                               _seconds_ms(utterance.get("start"), f"{where}.start"),
                               _seconds_ms(utterance.get("end"), f"{where}.end")))
        pieces.sort(key=lambda p: p.start_ms or 0)
        return Transcript(fmt, _merge(pieces), None, _deepgram_headers(channels))
    if not isinstance(channels, list) or not channels:
        raise TranscriptError("Deepgram JSON: neither `results.utterances` nor "
                              "`results.channels` holds any speech")
    for c, channel in enumerate(channels):
        alternatives = channel.get("alternatives") if isinstance(channel, dict) else None
        if not isinstance(alternatives, list) or not alternatives:
            raise TranscriptError(f"Deepgram JSON: results.channels[{c}].alternatives must be "
                                  f"a non-empty list")
        for n, word in enumerate(alternatives[0].get("words") or []):
            where = f"results.channels[{c}].alternatives[0].words[{n}]"
            text = word.get("punctuated_word") or _need_str(word, "word", where)
            label = _deepgram_label({**word, "channel": c}, multichannel, where)
            pieces.append(Turn(label, text, _seconds_ms(word.get("start"), f"{where}.start"),
                               _seconds_ms(word.get("end"), f"{where}.end")))
    if not pieces:
        raise TranscriptError("Deepgram JSON: the transcript has no words")
    pieces.sort(key=lambda p: p.start_ms or 0)
    return Transcript(fmt, _merge(pieces, joiner=" "), None, _deepgram_headers(channels))


def _deepgram_label(part: dict, multichannel: bool, where: str) -> str:
    if part.get("speaker") is not None:
        return f"speaker {part['speaker']}"
    if multichannel and part.get("channel") is not None:
        return f"channel {part['channel']}"
    raise TranscriptError(f"Deepgram JSON has no speaker for {where}; request it with "
                          f"`diarize=true` (or `multichannel=true` for stereo calls)")


def _deepgram_headers(channels: Any) -> dict[str, str]:
    if isinstance(channels, list) and channels and isinstance(channels[0], dict):
        language = channels[0].get("detected_language")
        if isinstance(language, str):
            return {"language": language}
    return {}


def _parse_assemblyai(data: Any, fmt: str) -> Transcript:
    if not isinstance(data, dict):
        raise TranscriptError("AssemblyAI JSON: the top level must be an object")
    parts = data.get("utterances")
    key = "utterances"
    if not isinstance(parts, list) or not parts:
        parts, key = data.get("words"), "words"
    if not isinstance(parts, list) or not parts:
        raise TranscriptError("AssemblyAI JSON: no `utterances` (request speaker_labels) "
                              "and no `words`")
    pieces = []
    for n, part in enumerate(parts):
        where = f"{key}[{n}]"
        if not isinstance(part, dict):
            raise TranscriptError(f"AssemblyAI JSON: {where} is not an object")
        text = _need_str(part, "text", where)
        speaker = part.get("speaker") or part.get("channel")
        if speaker is None:
            raise TranscriptError(f"AssemblyAI JSON has no speaker for {where}; request the "
                                  f"transcript with `speaker_labels: true`")
        pieces.append(Turn(str(speaker), normalize_space(text), _int_ms(part.get("start"), where),
                           _int_ms(part.get("end"), where)))
    headers = {}
    if isinstance(data.get("language_code"), str):
        headers["language"] = data["language_code"]
    return Transcript(fmt, _merge(pieces, joiner=" "), None, headers)


_JSON_PARSERS: dict[str, Callable[[Any, str], Transcript]] = {
    "whisper": _parse_whisper, "aws": _parse_aws, "deepgram": _parse_deepgram,
    "assemblyai": _parse_assemblyai,
}


def _need_str(obj: dict, key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        got = "missing" if value is None else f"a {type(value).__name__}"
        raise TranscriptError(f"{where}.{key} must be a string, got {got}")
    return value


def _seconds_ms(value: Any, where: str) -> int | None:
    """Seconds (a number, or a numeric string as AWS writes them) as milliseconds."""
    if value is None:
        return None
    try:
        return round(float(value) * 1000)
    except (TypeError, ValueError):
        raise TranscriptError(f"{where} must be a number of seconds, got {value!r}") from None


def _int_ms(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TranscriptError(f"{where}: times must be milliseconds, got {value!r}")
    return int(value)


# -- CSV --------------------------------------------------------------------------------------

# Start times above a year are dates and times, not offsets into a recording.
_EPOCH_CUTOFF_MS = 366 * 24 * 3600 * 1000
_CLOCK = re.compile(r"^(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$")


class CsvRecordError(csv.Error):
    """One CSV record that cannot be read; the records after it still can."""

    def __init__(self, line: int, why: str) -> None:
        quoting = "end of data" in why or "expected after" in why
        hint = (": a quote is not closed, or a quote inside a quoted field is not doubled"
                if quoting else "")
        super().__init__(f"line {line} is not valid CSV ({why}){hint}; this record is skipped")
        self.line = line


class CountedLines:
    """The lines of ``text`` for ``csv.reader``, counting how many it has taken: the start of
    the next record even after a broken one (``reader.line_num`` is not updated then)."""

    def __init__(self, text: str) -> None:
        self._lines = io.StringIO(text, newline="")
        self.count = 0

    def __iter__(self) -> CountedLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.count += 1
        return line


def csv_delimiter(text: str) -> str:
    """The delimiter of a CSV export: whichever of ``,`` ``;`` tab ``|`` its header row uses
    most (outside quotes), else ``,``.

    Spreadsheet exports (notably Russian Excel) often use ";" instead of ","; the header row
    says which. csv.Sniffer guesses wrong when a later row is broken, and its regular
    expressions take quadratic time on hostile input; this reads one line.
    """
    first = re.sub(r'"[^"]*"', "", text.lstrip("\ufeff").split("\n", 1)[0])
    return max(",;\t|", key=first.count) if any(d in first for d in ",;\t|") else ","


def read_csv_records(text: str
                     ) -> tuple[list[str], Iterator[tuple[int, dict[str | None, Any]
                                                          | CsvRecordError]]]:
    """Header and ``(line, row)`` pairs of a CSV export (delimiter: ``csv_delimiter``).

    ``line`` is the 1-based line where the record starts (quoted fields may span lines).
    Extra fields land under the ``None`` key, missing ones are ``None``, as ``csv.DictReader``
    does it. A record that is not valid CSV (a quote left open would otherwise swallow the
    rows after it into one field) comes as a ``CsvRecordError`` in place of the row.
    """
    body = text.lstrip("\ufeff")
    lines = CountedLines(body)
    reader = csv.DictReader(lines, delimiter=csv_delimiter(body), strict=True)
    try:
        names = reader.fieldnames or []
    except csv.Error as exc:
        return [], iter([(1, CsvRecordError(1, str(exc)))])
    header = [name.strip() if name else "" for name in names]
    reader.fieldnames = header

    def rows() -> Iterator[tuple[int, dict[str | None, Any] | CsvRecordError]]:
        while True:
            start = lines.count + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, CsvRecordError(start, str(exc))
                continue
            yield start, row

    return header, rows()


_COLUMN_NAME = re.compile(r"^[\w .\-]{1,40}$")


def _csv_header(first_line: str, columns: CsvColumns) -> list[str] | None:
    """The column names when ``first_line`` is a CSV header: it names the speaker and text
    columns, or it is three or more short names (the parser then says which column is
    missing, better than a plain-text error would)."""
    for delimiter in (",", ";", "\t", "|"):
        names = [n.strip().strip('"').strip() for n in first_line.lstrip("\ufeff").split(delimiter)]
        if columns.speaker in names and columns.text in names:
            return names
        if len(names) >= 3 and all(_COLUMN_NAME.match(n) for n in names):
            return names
    return None


def _parse_csv(text: str, columns: CsvColumns) -> Iterator[Transcript | TranscriptError]:
    header, rows = read_csv_records(text)
    missing = [c for c in (columns.speaker, columns.text) if c not in header]
    if missing:
        yield TranscriptError(
            f"no {missing[0]!r} column (columns: {', '.join(header) or 'none'}); set "
            f"`{'speaker' if missing[0] == columns.speaker else 'text'}_column` in "
            f"[[channels.calls]]", 1)
        return
    order: list[str] = []
    calls: dict[str, list[Turn]] = {}
    first_line: dict[str, int] = {}
    headers: dict[str, dict[str, str]] = {}
    broken: dict[str, TranscriptError] = {}
    try:
        for line, row in rows:
            if isinstance(row, CsvRecordError):
                yield TranscriptError(str(row), line)
                continue
            call = _cell(row, columns.call_id) or ""
            if call not in calls:
                order.append(call)
                calls[call], first_line[call], headers[call] = [], line, {}
            if call in broken:
                continue
            try:
                turn = _csv_turn(row, line, header, columns)
            except TranscriptError as exc:
                exc.call_id = call or None
                broken[call] = exc
                continue
            for key, column in (("agent", columns.agent), ("date", columns.date),
                                ("language", columns.language)):
                value = _cell(row, column)
                if value and key not in headers[call]:
                    headers[call][key] = value
            if turn.text:
                calls[call].append(turn)
    except csv.Error as exc:
        yield TranscriptError(f"not valid CSV: {exc}", None)
        return
    for call in order:
        if call in broken:
            yield broken[call]
        elif not calls[call]:
            yield TranscriptError(f"call {call!r} has no text", first_line[call], call or None)
        else:
            turns = calls[call]
            if all(t.start_ms is not None for t in turns):
                turns = sorted(turns, key=lambda t: t.start_ms or 0)  # stable: file order ties
                first = turns[0].start_ms or 0
                if first > _EPOCH_CUTOFF_MS:  # dates and times: offsets from the first message
                    turns = [replace(t, start_ms=(t.start_ms or 0) - first) for t in turns]
            yield Transcript("csv", tuple(turns), call or None, headers[call], first_line[call])


def _csv_turn(row: dict[str | None, Any], line: int, header: list[str],
              columns: CsvColumns) -> Turn:
    if row.get(None):
        raise TranscriptError(f"line {line} has {len(header) + len(row[None])} fields, the "
                              f"header has {len(header)}; quote fields that contain the "
                              f"delimiter", line)
    speaker = _cell(row, columns.speaker)
    if not speaker:
        raise TranscriptError(f"line {line}: empty {columns.speaker!r} (every row needs a "
                              f"speaker)", line)
    start = _cell(row, columns.start)
    start_ms = None
    if start:
        start_ms = _time_ms(start)
        if start_ms is None:
            raise TranscriptError(f"line {line}: {columns.start!r} is {start!r}; expected "
                                  f"seconds (62.5), a clock time (00:01:02.5) or a date and "
                                  f"time (2026-11-02T10:00:30)", line)
    return Turn(speaker, normalize_space(_cell(row, columns.text) or ""), start_ms, None, line)


def _cell(row: dict[str | None, Any], column: str) -> str | None:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else None


def _time_ms(value: str) -> int | None:
    try:
        return round(float(value.replace(",", ".")) * 1000)
    except ValueError:
        pass
    match = _CLOCK.match(value)
    if not match:
        try:  # a chat export's date and time: milliseconds since the epoch, made relative later
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return round(moment.timestamp() * 1000)
    hours, minutes, seconds, ms = match.groups()
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(
        (ms or "0").ljust(3, "0"))


# -- shared -----------------------------------------------------------------------------------

def _merge(pieces: list[Turn], joiner: str = " ") -> tuple[Turn, ...]:
    """Consecutive pieces by the same speaker as one turn (times and line of the first)."""
    turns: list[Turn] = []
    for piece in pieces:
        if not piece.text:
            continue
        if turns and turns[-1].speaker == piece.speaker:
            last = turns[-1]
            turns[-1] = Turn(last.speaker, normalize_space(last.text + joiner + piece.text),
                             last.start_ms, piece.end_ms, last.line, last.column)
        else:
            turns.append(Turn(piece.speaker, normalize_space(piece.text), piece.start_ms,
                              piece.end_ms, piece.line, piece.column))
    if not turns:
        raise TranscriptError("the transcript has no text")
    return tuple(turns)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
