"""Resource limits: what one hostile or broken input may cost an audit, at most.

brand-audit reads files and pages other people wrote. A 1 GB transcript, a gzip bomb posing as a
sitemap or a JSON export nested 100,000 levels deep must be refused quickly, with a message that
names the input and the setting to raise, while the rest of the audit goes on. Every cap is a
field of ``Limits`` (set in ``audit.toml``'s ``[limits]`` table); the defaults are generous for
real copy and small next to the machine.

``guarded`` wraps a channel's ``collect`` so every collector gets the per-touchpoint caps (blocks,
characters per block) and has secrets redacted from its error messages, whatever it reads.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.secrets import known, redact
from auditor.types import CollectionError, Touchpoint

if TYPE_CHECKING:
    import zipfile  # only the exports reader opens archives; a content check never does

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """``[limits]`` in ``audit.toml``: caps on what one input may cost. Sizes are in bytes."""

    #: One local input file (a transcript, an export, a mailbox, a content file).
    max_file_bytes: int = 64 * MIB
    #: One web page or fetched document (a section's own ``max_bytes`` may lower it).
    max_page_bytes: int = 5 * MIB
    #: What one ``.gz`` file or one archive member may inflate to (sitemaps, export zips).
    max_decompressed_bytes: int = 64 * MIB
    #: Members read from one archive (a zip of a million empty files is a bomb too).
    max_archive_members: int = 10_000
    #: Blocks kept per touchpoint; the rest are dropped and reported.
    max_blocks: int = 5_000
    #: Characters kept per block; longer text is cut and reported.
    max_block_chars: int = 20_000
    #: Nesting depth of JSON (exports, transcripts, API answers); deeper input is refused.
    max_json_depth: int = 200

    def __post_init__(self) -> None:
        # Raised as ValueError; auditor.config turns it into a ConfigError naming [limits].
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{f.name} must be a positive whole number, got {value!r}")


DEFAULT_LIMITS = Limits()


class LimitError(ValueError):
    """An input over a limit; the message names the limit and how to raise it."""


def _mb(size: int) -> str:
    return f"{size / MIB:,.1f} MB" if size >= MIB else f"{size:,} bytes"


# -- files ----------------------------------------------------------------------------------

def read_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of ``path``, refused with ``LimitError`` (before reading) when it is larger
    than ``max_file_bytes``. ``OSError`` passes through for the caller's own message."""
    cap = limits.max_file_bytes
    size = os.stat(path).st_size
    if size > cap:
        raise LimitError(f"file too large: {_mb(size)}, over the {_mb(cap)} cap per input "
                         f"file; not read (raise [limits] max_file_bytes to read it)")
    with open(path, "rb") as stream:
        data = stream.read(cap + 1)  # the file may grow, or be a pipe, after stat
    if len(data) > cap:
        raise LimitError(f"file too large: over the {_mb(cap)} cap per input file; not read "
                         f"(raise [limits] max_file_bytes to read it)")
    return data


def gunzip(data: bytes, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Inflate gzip ``data`` up to ``max_decompressed_bytes``; a bomb is a ``LimitError``,
    broken data a ``ValueError``. Never inflates more than the cap plus one chunk."""
    cap = limits.max_decompressed_bytes
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(cap + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"broken gzip data: {exc}") from None
    if len(out) > cap:
        raise LimitError(f"decompresses to more than {_mb(cap)} (a compression bomb?); "
                         f"refused (raise [limits] max_decompressed_bytes if it is genuine)")
    return out


def zip_members(bundle: zipfile.ZipFile, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Names in an archive, refused with ``LimitError`` when there are too many."""
    names = bundle.namelist()
    if len(names) > limits.max_archive_members:
        raise LimitError(f"archive has {len(names):,} members, over the "
                         f"{limits.max_archive_members:,} cap; refused (raise [limits] "
                         f"max_archive_members if it is genuine)")
    return names


def read_zip_member(bundle: zipfile.ZipFile, name: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """One archive member, inflated up to ``max_decompressed_bytes``. The declared size is
    checked first and the inflated stream is capped too, since a header can lie."""
    cap = limits.max_decompressed_bytes
    info = bundle.getinfo(name)
    refusal = (f"{name} decompresses to more than {_mb(cap)} (a zip bomb?); refused (raise "
               f"[limits] max_decompressed_bytes if it is genuine)")
    if info.file_size > cap:
        raise LimitError(refusal)
    with bundle.open(info) as stream:
        data = stream.read(cap + 1)
    if len(data) > cap:
        raise LimitError(refusal)
    return data


# -- JSON -----------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def check_json_depth(text: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse JSON nested deeper than ``max_json_depth`` before ``json.loads`` sees it (it
    would recurse until Python's stack gives out). Raises ``LimitError`` saying where."""
    cap = limits.max_json_depth
    if text.count("[") + text.count("{") <= cap:
        return  # cannot be that deep: skip the scan for ordinary files
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > cap:
                line = text.count("\n", 0, match.start()) + 1
                column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
                raise LimitError(f"JSON nested more than {cap} levels deep at line {line}, "
                                 f"column {column}; refused (raise [limits] max_json_depth if "
                                 f"it is genuine)")
        elif char in "]}":
            depth = max(0, depth - 1)


# -- per touchpoint -------------------------------------------------------------------------

def cap_touchpoint(touchpoint: Touchpoint, limits: Limits = DEFAULT_LIMITS
                   ) -> tuple[Touchpoint, CollectionError | None]:
    """The touchpoint within ``max_blocks`` and ``max_block_chars``, and an error saying what
    was cut (``None`` when nothing was)."""
    blocks = touchpoint.blocks
    notes = []
    if len(blocks) > limits.max_blocks:
        notes.append(f"{len(blocks):,} blocks, only the first {limits.max_blocks:,} kept "
                     f"([limits] max_blocks)")
        blocks = blocks[: limits.max_blocks]
    long = {i for i, b in enumerate(blocks) if len(b.text) > limits.max_block_chars}
    if long:
        cut = limits.max_block_chars
        notes.append(f"blocks longer than {cut:,} characters cut to that length: "
                     f"{len(long):,} ([limits] max_block_chars)")
        blocks = tuple(replace(b, text=b.text[:cut]) if i in long else b
                       for i, b in enumerate(blocks))
    if not notes:
        return touchpoint, None
    error = CollectionError(source=touchpoint.source, channel=touchpoint.channel,
                            error="touchpoint over a limit: " + "; ".join(notes))
    return replace(touchpoint, blocks=tuple(blocks)), error


def _redacted(touchpoint: Touchpoint) -> Touchpoint:
    blocks = tuple(replace(b, text=redact(b.text)) for b in touchpoint.blocks)
    metadata = {k: redact(str(v)) for k, v in touchpoint.metadata.items()}
    return replace(touchpoint, title=redact(touchpoint.title), source=redact(touchpoint.source),
                   blocks=blocks, metadata=metadata)


def guarded(collect: Callable[[Any, Any], Iterator[Any]]) -> Callable[[Any, Any], Iterator[Any]]:
    """``collect`` with the per-touchpoint caps applied and secrets redacted from errors."""
    def run(options: Any, ctx: Any) -> Iterator[Any]:
        limits = getattr(ctx, "limits", DEFAULT_LIMITS)
        for item in collect(options, ctx):
            if isinstance(item, CollectionError):
                yield replace(item, source=redact(item.source), error=redact(item.error))
                continue
            if isinstance(item, Touchpoint):
                if known():  # a hostile server may echo a token back as "copy"
                    item = _redacted(item)
                item, error = cap_touchpoint(item, limits)
                if error is not None:
                    yield error
            yield item

    run.__doc__ = collect.__doc__
    run.__name__ = getattr(collect, "__name__", "collect")
    return run
