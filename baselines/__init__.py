"""Brand baselines: ``baselines/<brand>/brand.toml`` plus ``exemplars/`` of approved copy.

``load_baseline(folder)`` reads and validates one; errors name the file, the line or key,
and what was expected. Only ``name`` and one exemplar file are required; everything else
has a default or is learned from the exemplars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

DEMO_BASELINE = Path(__file__).parent / "demo"


@dataclass(frozen=True)
class ExemplarDoc:
    """One approved file, split into paragraphs (the units the index is built from)."""

    path: str              # relative to the baseline folder, e.g. "exemplars/web/home.md"
    language: str          # "en", "ru", ...
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class VoiceTarget:
    target: float          # -1.0 .. 1.0 along the dimension (e.g. formal=-1 .. casual=+1)
    tolerance: float = 0.3


@dataclass(frozen=True)
class Thresholds:
    """Where warn and diverges begin, as percentiles of the approved copy's own
    leave-one-out scores ("less like the brand than 95% of its approved copy")."""

    warn_percentile: float = 15.0
    diverge_percentile: float = 5.0


@dataclass(frozen=True)
class Baseline:
    name: str
    root: Path
    languages: tuple[str, ...]
    key_messages: tuple[str, ...]
    exemplars: tuple[ExemplarDoc, ...]
    counter_examples: tuple[ExemplarDoc, ...] = ()
    voice: Mapping[str, VoiceTarget] = field(default_factory=dict)
    banned_terms: Mapping[str, str] = field(default_factory=dict)     # term -> why / what instead
    preferred_terms: Mapping[str, str] = field(default_factory=dict)  # avoid -> use
    readability: tuple[float, float] | None = None
    thresholds: Thresholds = Thresholds()
