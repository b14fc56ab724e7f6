"""The one history store: runs, touchpoint scores, findings and cached vectors in SQLite.

One file (default ``.brand-audit/audit.db``) that scheduled audits, CI checks and the vector
cache share. WAL mode and a busy timeout let two processes use it at once (a cron audit and a
reviewer re-rendering a report). The stored ``report.json`` dict is the source of truth for a
run; the ``touchpoints`` and ``findings`` tables are flat copies of it for queries.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import ToolError

if TYPE_CHECKING:
    import numpy as np  # only the vector cache needs it: a rules-only check never loads it

DEFAULT_STORE_PATH = Path(".brand-audit") / "audit.db"
#: The store layout this brand-audit writes. Bump it with a step in ``MIGRATIONS``.
SCHEMA_VERSION = 2
#: Steps that bring a store from version ``n`` to ``n + 1``: SQL statements run in the same
#: transaction as the version bump, so a store is never left half-migrated.
MIGRATIONS: dict[int, list[str]] = {
    # Version 2: vectors live in an ordinary (rowid) table with the key as a unique index.
    # Version 1 kept each 1 KB vector inside a WITHOUT ROWID key tree, where every insert
    # at a random key moved whole rows between pages: writing 44,000 vectors took 2.5 s of
    # CPU, now 0.5 s, and reading them back is 4x faster.
    1: [
        "ALTER TABLE embeddings RENAME TO embeddings_v1",
        "CREATE TABLE embeddings (model_id TEXT NOT NULL, key TEXT NOT NULL, "
        "dim INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model_id, key))",
        "INSERT INTO embeddings (model_id, key, dim, vector) "
        "SELECT model_id, key, dim, vector FROM embeddings_v1 ORDER BY model_id, key",
        "DROP TABLE embeddings_v1",
    ],
}
#: How long a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_MS = 30_000
# Well under SQLite's bound-parameter limit on every build.
_CHUNK = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    started_at TEXT,
    finished_at TEXT,
    baseline TEXT,
    model TEXT,
    score REAL,
    report_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_started_at ON runs (started_at);
CREATE TABLE IF NOT EXISTS touchpoints (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    touchpoint_id TEXT NOT NULL,
    channel TEXT,
    source TEXT,
    language TEXT,
    agent_id TEXT,
    score REAL,
    status TEXT,
    content_hash TEXT
);
CREATE INDEX IF NOT EXISTS touchpoints_run ON touchpoints (run_id, channel);
CREATE TABLE IF NOT EXISTS findings (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    touchpoint_id TEXT NOT NULL,
    rule TEXT,
    severity TEXT,
    message TEXT,
    fingerprint TEXT
);
CREATE INDEX IF NOT EXISTS findings_run ON findings (run_id);
CREATE INDEX IF NOT EXISTS findings_fingerprint ON findings (fingerprint);
CREATE TABLE IF NOT EXISTS store_info (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS embeddings (
    model_id TEXT NOT NULL,
    key TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model_id, key)
);
CREATE TABLE IF NOT EXISTS memo (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now')),
    value BLOB NOT NULL,
    PRIMARY KEY (kind, key)
);
"""
#: Remembered results kept per kind (the newest): enough for an unchanged re-run.
MEMO_KEEP = 2


class Store:
    """Embedded SQLite store for audit history and the embedding cache.

    Usable as a context manager; implements the ``VectorCache`` protocol of
    ``auditor.embedding`` (``get_vectors`` / ``put_vectors``).
    """

    def __init__(self, path: str | Path = DEFAULT_STORE_PATH) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        in_memory = str(path) == ":memory:"
        if not in_memory:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ToolError(
                    f"cannot create the folder for the history store: {exc.strerror}",
                    source=str(self.path),
                    hint="set [audit] store in audit.toml to a writable path",
                ) from exc
            if self.path.is_dir():
                raise ToolError("the history store path is a folder, not a file",
                                source=str(self.path),
                                hint="point [audit] store at a file such as "
                                     ".brand-audit/audit.db")
        try:
            # isolation_level=None: transactions are explicit (see _transaction).
            self._conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000,
                                         isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise self._open_error(exc) from exc
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not in_memory:
                mode = self._switch_to_wal()
                if str(mode).lower() != "wal":
                    raise sqlite3.OperationalError(f"journal_mode is {mode}, WAL unavailable")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, much faster
            self._migrate()
        except sqlite3.Error as exc:
            self._conn.close()
            raise self._open_error(exc) from exc

    def _switch_to_wal(self) -> str:
        """``PRAGMA journal_mode = WAL``, waiting up to the busy timeout for the lock.

        SQLite answers "database is locked" at once, without its busy handler, while another
        connection writes to a store that is not in WAL mode yet: two audits creating the
        same new store, one still setting it up. Wait as for any other lock.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    # ------------------------------------------------------------------ lifecycle

    def _open_error(self, exc: sqlite3.Error) -> ToolError:
        return ToolError(
            f"cannot open the history store as a SQLite database ({exc})",
            source=str(self.path),
            hint="if this file is not a brand-audit store, point [audit] store in audit.toml "
                 "elsewhere; if it is damaged, move it aside and a new one will be created "
                 "(history in it is lost)",
        )

    def _migrate(self) -> None:
        """Create a new store, or bring an older one up to ``SCHEMA_VERSION`` step by step.

        A store written by a newer brand-audit is refused before anything is written to it.
        """
        from auditor import __version__

        with self._transaction() as conn:
            version = _stored_version(conn)
            if version is not None and version > SCHEMA_VERSION:
                row = conn.execute("SELECT value FROM store_info WHERE key = 'written_by'"
                                   ).fetchone() if _has_table(conn, "store_info") else None
                by = f" by brand-audit {row[0]}" if row else " by a newer brand-audit"
                raise ToolError(
                    f"the history store was written{by} (schema version {version}); this "
                    f"brand-audit {__version__} understands up to schema version "
                    f"{SCHEMA_VERSION} and will not touch it",
                    source=str(self.path),
                    hint="upgrade brand-audit (pip install -U brand-audit), or point [audit] "
                         "store at another file",
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            if version is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (?)",
                             (SCHEMA_VERSION,))
            else:
                for step in range(version, SCHEMA_VERSION):
                    for statement in MIGRATIONS[step]:
                        conn.execute(statement)
                if version < SCHEMA_VERSION:
                    conn.execute("DELETE FROM schema_version")
                    conn.execute("INSERT INTO schema_version (version) VALUES (?)",
                                 (SCHEMA_VERSION,))
            conn.execute("INSERT OR REPLACE INTO store_info (key, value) "
                         "VALUES ('written_by', ?)", (__version__,))

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front, so two processes queue on the busy
        # timeout instead of one failing when it upgrades a read into a write.
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()

    # ------------------------------------------------------------------ runs

    def save_run(self, report: dict) -> None:
        """Store one ``report.json`` dict (runs, touchpoints and findings, one transaction).

        Saving a run id again replaces the earlier copy.
        """
        run = report.get("run") or {}
        run_id = run.get("id")
        if not run_id:
            raise ValueError("report['run']['id'] is required to save a run")
        summary = report.get("summary") or {}
        report_json = json.dumps(report, ensure_ascii=False, default=str)
        touchpoint_rows = []
        finding_rows = []
        for tp in report.get("touchpoints") or []:
            tp_id = str(tp.get("id", ""))
            touchpoint_rows.append((
                run_id, tp_id, tp.get("channel"), tp.get("source"), tp.get("language"),
                tp.get("agent_id"), tp.get("score"), tp.get("status"), tp.get("content_hash"),
            ))
            for finding in tp.get("findings") or []:
                finding_rows.append((
                    run_id, tp_id, finding.get("rule"), finding.get("severity"),
                    finding.get("message"), finding.get("fingerprint"),
                ))
        with self._transaction() as conn:
            conn.execute("DELETE FROM findings WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM touchpoints WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
            conn.execute(
                "INSERT INTO runs (id, started_at, finished_at, baseline, model, score, "
                "report_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, _text(run.get("started_at")), _text(run.get("finished_at")),
                 run.get("baseline"), run.get("model"), summary.get("score"), report_json),
            )
            conn.executemany(
                "INSERT INTO touchpoints (run_id, touchpoint_id, channel, source, language, "
                "agent_id, score, status, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                touchpoint_rows,
            )
            conn.executemany(
                "INSERT INTO findings (run_id, touchpoint_id, rule, severity, message, "
                "fingerprint) VALUES (?, ?, ?, ?, ?, ?)",
                finding_rows,
            )

    def get_run(self, run_id: str) -> dict | None:
        """The stored report dict of ``run_id``, or None."""
        row = self._query_one("SELECT report_json FROM runs WHERE id = ?", (run_id,))
        return json.loads(row[0]) if row else None

    def latest_run(self, exclude: str | None = None) -> dict | None:
        """The most recently started run's report, skipping ``exclude`` (usually this run)."""
        row = self._query_one(
            "SELECT report_json FROM runs WHERE id IS NOT ? "
            "ORDER BY started_at DESC, rowid DESC LIMIT 1",
            (exclude,),
        )
        return json.loads(row[0]) if row else None

    def list_runs(self, limit: int = 50) -> list[dict]:
        """Newest first: id, started_at, finished_at, baseline, model, score, by_channel."""
        rows = self._query(
            "SELECT id, started_at, finished_at, baseline, model, score, "
            "json_extract(report_json, '$.summary.by_channel') FROM runs "
            "ORDER BY started_at DESC, rowid DESC LIMIT ?",
            (limit,),
        )
        return [
            {"id": r[0], "started_at": r[1], "finished_at": r[2], "baseline": r[3],
             "model": r[4], "score": r[5], "by_channel": json.loads(r[6]) if r[6] else {}}
            for r in rows
        ]

    def channel_history(self, channel: str | None = None) -> list[dict]:
        """Per-run channel scores, oldest first: run_id, started_at, channel, score,
        touchpoints, diverging. ``channel=None`` gives every channel."""
        rows = self._query(
            "SELECT r.id, r.started_at, c.key, json_extract(c.value, '$.score'), "
            "json_extract(c.value, '$.touchpoints'), json_extract(c.value, '$.diverging') "
            "FROM runs AS r, json_each(r.report_json, '$.summary.by_channel') AS c "
            "WHERE ?1 IS NULL OR c.key = ?1 "
            "ORDER BY r.started_at, r.rowid, c.key",
            (channel,),
        )
        return [
            {"run_id": r[0], "started_at": r[1], "channel": r[2], "score": r[3],
             "touchpoints": r[4], "diverging": r[5]}
            for r in rows
        ]

    # ------------------------------------------------------------------ vectors

    def get_vectors(self, model_id: str, keys: list[str]) -> dict[str, np.ndarray]:
        """Cached vectors of ``model_id`` for those ``keys`` that are stored, as float32."""
        import numpy as np

        keys = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                f"SELECT key, dim, vector FROM embeddings WHERE model_id = ? AND key IN ({marks})",
                (model_id, *chunk),
            )
            for key, dim, blob in rows:
                vector = np.frombuffer(blob, dtype=np.float16)
                if vector.shape[0] == dim:
                    found[key] = vector.astype(np.float32)
        return found

    def put_vectors(self, model_id: str, items: dict[str, np.ndarray]) -> None:
        """Store vectors (as float16: half the size, cosine error ~1e-4)."""
        import numpy as np

        if not items:
            return
        # One conversion for the whole batch; rows in key order fill the key index in order.
        keys = sorted(items)
        vectors = np.asarray([np.reshape(items[k], -1) for k in keys], dtype=np.float16)
        dim = int(vectors.shape[1])
        rows = [(model_id, key, dim, vector.tobytes())
                for key, vector in zip(keys, vectors, strict=True)]
        with self._transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model_id, key, dim, vector) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )

    # ------------------------------------------------------------------ memo

    def get_memo(self, kind: str, key: str) -> bytes | None:
        """A remembered result (``auditor.engine.audit``'s scores of unchanged input)."""
        row = self._query_one("SELECT value FROM memo WHERE kind = ? AND key = ?", (kind, key))
        return bytes(row[0]) if row else None

    def put_memo(self, kind: str, key: str, value: bytes) -> None:
        """Remember ``value``; only the newest ``MEMO_KEEP`` of a kind are kept."""
        with self._transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO memo (kind, key, value) VALUES (?, ?, ?)",
                         (kind, key, value))
            conn.execute("DELETE FROM memo WHERE kind = ? AND key NOT IN (SELECT key FROM memo "
                         "WHERE kind = ? ORDER BY created_at DESC LIMIT ?)",
                         (kind, kind, MEMO_KEEP))

    def vector_count(self, model_id: str | None = None) -> int:
        row = self._query_one(
            "SELECT COUNT(*) FROM embeddings WHERE ?1 IS NULL OR model_id = ?1", (model_id,))
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ plumbing

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _query_one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple | None:
        with self._lock:
            return self._conn.execute(sql, params).fetchone()


def inspect_store(path: str | Path) -> dict[str, Any]:
    """Health of a store file for ``brand-audit doctor``, read-only (nothing is created or
    migrated): SQLite's ``integrity_check`` (``"ok"`` when sound), the schema version and
    whether this brand-audit can use it, the brand-audit that last wrote it, runs and cached
    vectors. Raises ``ToolError`` when the file is not a SQLite database."""
    path = Path(path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                               timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise ToolError(f"cannot open the history store: {exc}", source=str(path)) from exc
    try:
        problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
        version = _stored_version(conn)
        written = conn.execute("SELECT value FROM store_info WHERE key = 'written_by'"
                               ).fetchone() if _has_table(conn, "store_info") else None
        runs = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] \
            if _has_table(conn, "runs") else 0
        vectors = conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] \
            if _has_table(conn, "embeddings") else 0
    except sqlite3.Error as exc:
        raise ToolError(f"not a readable SQLite database ({exc})", source=str(path),
                        hint="if it is damaged, move it aside; a new store is created by the "
                             "next run (its history is lost)") from exc
    finally:
        conn.close()
    return {"integrity": "; ".join(problems), "schema_version": version,
            "supported": version is None or version <= SCHEMA_VERSION,
            "written_by": written[0] if written else None, "runs": runs, "vectors": vectors}


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (name,)).fetchone() is not None


def _stored_version(conn: sqlite3.Connection) -> int | None:
    """The store's schema version; ``None`` for a new (empty) database."""
    if not _has_table(conn, "schema_version"):
        return None
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
