"""Collectors: each config section (``[[channels.web]]``, ``[[channels.files]]``, ...) names one.

A channel kind is an options dataclass (its fields are the keys allowed in the config section,
validated by ``auditor.config``) and a ``collect`` function that yields touchpoints, or
``CollectionError`` values for inputs it could not read, so one bad file never stops a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from auditor.types import CollectionError, Touchpoint

CollectResult = Touchpoint | CollectionError

USER_AGENT = "brand-audit/0.1 (+https://github.com/brand-audit/brand-audit)"


@dataclass(frozen=True)
class CollectContext:
    """What every collector may need besides its own options."""

    base_dir: Path  # relative paths in the config are resolved against this folder
    user_agent: str = USER_AGENT
    #: Resource caps (``channels.limits.Limits``; ``[limits]`` in audit.toml). None: defaults.
    limits: Any = None
    #: Let crawlers reach private, loopback and link-local addresses behind public host names
    #: (``[audit] allow_private_addresses``; a web section may also set it for itself).
    allow_private_addresses: bool = False
    #: ``progress(stage, done, total)`` for a long collector (a crawl), called in the thread
    #: that iterates its results; ``None``: nobody is watching.
    progress: Callable[[str, int, int], None] | None = field(default=None, compare=False,
                                                            repr=False)

    def __post_init__(self) -> None:
        if self.limits is None:
            from channels.limits import DEFAULT_LIMITS

            object.__setattr__(self, "limits", DEFAULT_LIMITS)


@dataclass(frozen=True)
class ChannelKind:
    name: str                                   # the config section name and touchpoint channel
    options: type                               # a frozen dataclass; its fields are the config keys
    collect: Callable[[Any, CollectContext], Iterator[CollectResult]]
    description: str = ""


def channel_kinds() -> dict[str, ChannelKind]:
    """Every channel kind brand-audit knows, by config section name."""
    from channels import calls, chat, email, files, sms, social, web
    from channels.limits import guarded

    kinds = [web.KIND, files.KIND, social.KIND, calls.KIND, chat.KIND, email.KIND, sms.KIND]
    # Every collector gets the per-touchpoint caps and secret redaction (channels.limits).
    return {k.name: replace(k, collect=guarded(k.collect)) for k in kinds}
