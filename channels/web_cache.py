"""What the crawler remembers between runs: HTTP validators, the last body and its copy's hash.

With it, the next crawl sends conditional requests (``If-None-Match`` / ``If-Modified-Since``):
an unchanged page comes back as a bodiless 304 and is read from here, and its touchpoint carries
the same ``content_hash`` as last time, so the engine need not score it again. The file is a
small SQLite database of its own (``cache`` in ``[[channels.web]]``), separate from the audit
store, so deleting it only costs one full crawl.
"""

from __future__ import annotations

import sqlite3
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import zstandard

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url           TEXT PRIMARY KEY,   -- the URL requested (normalised)
    final_url     TEXT NOT NULL,      -- after redirects
    etag          TEXT,
    last_modified TEXT,
    content_type  TEXT NOT NULL DEFAULT '',
    charset       TEXT,
    body          BLOB,               -- zlib-compressed, so a 304 can be read again
    content_hash  TEXT,               -- sha256 of the page's copy
    fetched_at    TEXT NOT NULL
)
"""
_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class CachedPage:
    url: str
    final_url: str
    etag: str | None
    last_modified: str | None
    content_type: str
    charset: str | None
    body: bytes | None
    content_hash: str | None


class PageCache:
    """The crawler's validator cache; one SQLite file, used from one thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        try:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, _SCHEMA_VERSION):
                # Written by another version: it is only a cache, start afresh.
                self._db.execute("DROP TABLE IF EXISTS pages")
            self._db.execute(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            self._db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError:
            self._db.close()
            raise
        # The URLs it holds, so a page it has never seen (every page of a first crawl) costs
        # no query.
        self._urls = {url for (url,) in self._db.execute("SELECT url FROM pages")}
        self._rows: dict[str, tuple] = {}  # url -> row, written 100 at a time in one statement
        # One compression context each way for every body: setting one up for each page (as
        # zlib did) cost more than compressing a small page.
        self._zstd = zstandard.ZstdCompressor(level=1)
        self._unzstd = zstandard.ZstdDecompressor()

    def get(self, url: str) -> CachedPage | None:
        if url not in self._urls:
            return None
        row = self._rows.get(url)  # remembered in this crawl, not written yet
        if row is None:
            row = self._db.execute(
                "SELECT url, final_url, etag, last_modified, content_type, charset, body, "
                "content_hash FROM pages WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        return CachedPage(row[0], row[1], row[2], row[3], row[4], row[5],
                          self._decompressed(row[6]), row[7])

    def _decompressed(self, blob: bytes | None) -> bytes | None:
        """A stored body: a zstd frame, or zlib as caches written before 2026-12-02 hold
        them; None if neither (the page is then fetched in full)."""
        if blob is None:
            return None
        try:
            if blob[:4] == _ZSTD_MAGIC:
                return self._unzstd.decompress(blob)
            return zlib.decompress(blob)
        except (zstandard.ZstdError, zlib.error):
            return None

    def put(self, url: str, *, final_url: str, etag: str | None, last_modified: str | None,
            content_type: str, charset: str | None, body: bytes | None,
            content_hash: str | None) -> None:
        """Remember a page; only pages with a validator keep their body (a 304 needs it)."""
        keep = body if (etag or last_modified) and body is not None else None
        self._urls.add(url)
        self._rows[url] = (url, final_url, etag, last_modified, content_type, charset,
                           self._zstd.compress(keep) if keep is not None else None, content_hash,
                           datetime.now(UTC).isoformat(timespec="seconds"))
        if len(self._rows) >= 100:  # written now and then, so a crash keeps most of the work
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        self._db.execute("BEGIN")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                list(self._rows.values()))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._rows = {}

    def close(self) -> None:
        """Write what is pending and close the file."""
        try:
            self._flush()
        finally:
            self._db.close()

    def abandon(self) -> None:
        """Close the file without writing what is pending (after a failed write)."""
        self._rows = {}
        self._db.close()


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
