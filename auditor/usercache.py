"""The user's cache folder (``$XDG_CACHE_HOME/brand-audit``, else ``~/.cache/brand-audit``):
the default embedding cache of one-off commands and files parsed once and read back fast."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "brand-audit"


def write_atomically(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` so a concurrent reader never sees half a file; False when
    the folder is not writable (the caller then parses again next time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(data)
        partial.replace(path)
    except OSError:
        return False
    return True
