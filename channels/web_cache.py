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
        self._rows: list[tuple] = []  # written 100 at a time, in one transaction

    def get(self, url: str) -> CachedPage | None:
        if url not in self._urls:
            return None
        self._flush()  # a page asked for twice in one crawl (a retried start URL)
        row = self._db.execute(
            "SELECT url, final_url, etag, last_modified, content_type, charset, body, "
            "content_hash FROM pages WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        body = row[6]
        try:
            body = zlib.decompress(body) if body is not None else None
        except zlib.error:
            body = None
        return CachedPage(row[0], row[1], row[2], row[3], row[4], row[5], body, row[7])

    def put(self, url: str, *, final_url: str, etag: str | None, last_modified: str | None,
            content_type: str, charset: str | None, body: bytes | None,
            content_hash: str | None) -> None:
        """Remember a page; only pages with a validator keep their body (a 304 needs it)."""
        keep = body if (etag or last_modified) and body is not None else None
        self._urls.add(url)
        self._rows.append((url, final_url, etag, last_modified, content_type, charset,
                           _compressed(keep) if keep is not None else None, content_hash,
                           datetime.now(UTC).isoformat(timespec="seconds")))
        if len(self._rows) >= 100:  # written now and then, so a crash keeps most of the work
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        self._db.execute("BEGIN")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._rows = []

    def close(self) -> None:
        """Write what is pending and close the file."""
        try:
            self._flush()
        finally:
            self._db.close()

    def abandon(self) -> None:
        """Close the file without writing what is pending (after a failed write)."""
        self._rows = []
        self._db.close()


def _compressed(body: bytes) -> bytes:
    """``body`` deflated quickly, with a window no larger than the body: zlib sets up (and
    clears) its full 32 KB window for every call otherwise, which costs more than compressing
    a small page. Any window size reads back with ``zlib.decompress``."""
    window = max(9, min(15, (len(body) - 1).bit_length()))
    deflate = zlib.compressobj(1, zlib.DEFLATED, window)
    return deflate.compress(body) + deflate.flush()
