"""The SQLite history store: runs, history queries, the vector cache, sharing and bad files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from auditor.embedding import CachedEmbedder, HashingEmbedder
from auditor.errors import ToolError
from auditor.store import SCHEMA_VERSION, Store

REPO = Path(__file__).resolve().parents[1]


def make_report(run_id: str, started_at: str, score: float, web: float, calls: float) -> dict:
    """A report.json dict shaped like the contract in ARCHITECTURE.md."""
    return {
        "schema": "brand-audit/report",
        "schema_version": 1,
        "run": {"id": run_id, "started_at": started_at, "finished_at": started_at,
                "baseline": "baselines/acme", "model": "hashing-256", "tool_version": "0.1.0"},
        "summary": {
            "score": score, "touchpoints": 2, "diverging": 1, "warnings": 0,
            "by_channel": {
                "web": {"score": web, "touchpoints": 1, "diverging": 0},
                "calls": {"score": calls, "touchpoints": 1, "diverging": 1},
            },
        },
        "touchpoints": [
            {"id": "web:/pricing", "channel": "web", "source": "https://acme.example/pricing",
             "locator": "https://acme.example/pricing", "title": "Pricing", "language": "en",
             "score": web, "status": "ok", "content_hash": "abc", "findings": []},
            {"id": "calls:0042", "channel": "calls", "source": "calls/0042.vtt",
             "locator": "calls/0042.vtt @01:02", "title": "Звонок 42", "language": "ru",
             "agent_id": "agent-7", "score": calls, "status": "diverges",
             "findings": [
                 {"rule": "respect.pressure", "severity": "error",
                  "message": "Давление на клиента", "evidence": "Купите прямо сейчас!",
                  "fingerprint": "fp-1"},
                 {"rule": "tone.formality", "severity": "warning", "message": "Too casual",
                  "evidence": "hey", "fingerprint": "fp-2"},
             ]},
        ],
        "agents": [{"agent_id": "agent-7", "touchpoints": 1, "score": calls,
                    "status": "diverges"}],
        "errors": [],
    }


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "nested" / "audit.db") as s:
        yield s


def test_creates_parent_folders_wal_and_schema_version(tmp_path):
    path = tmp_path / "a" / "b" / "audit.db"
    with Store(path) as s:
        assert s.journal_mode == "wal"
    assert path.exists()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "touchpoints", "findings", "embeddings", "schema_version"} <= tables
    conn.close()


def test_reopening_keeps_one_schema_version_row(tmp_path):
    path = tmp_path / "audit.db"
    Store(path).close()
    Store(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone() == (1,)
    conn.close()


def test_save_and_get_run_round_trip(store):
    report = make_report("run-1", "2024-05-01T10:00:00+00:00", 81.5, 90.0, 60.0)
    store.save_run(report)
    assert store.get_run("run-1") == report
    assert store.get_run("missing") is None


def test_save_run_fills_query_tables(store):
    store.save_run(make_report("run-1", "2024-05-01T10:00:00+00:00", 81.5, 90.0, 60.0))
    conn = store._conn
    assert conn.execute("SELECT id, baseline, model, score FROM runs").fetchall() == [
        ("run-1", "baselines/acme", "hashing-256", 81.5)]
    rows = conn.execute("SELECT touchpoint_id, channel, agent_id, status, content_hash "
                        "FROM touchpoints ORDER BY touchpoint_id").fetchall()
    assert rows == [("calls:0042", "calls", "agent-7", "diverges", None),
                    ("web:/pricing", "web", None, "ok", "abc")]
    findings = conn.execute("SELECT rule, severity, fingerprint FROM findings "
                            "ORDER BY fingerprint").fetchall()
    assert findings == [("respect.pressure", "error", "fp-1"),
                        ("tone.formality", "warning", "fp-2")]


def test_saving_a_run_again_replaces_it(store):
    store.save_run(make_report("run-1", "2024-05-01T10:00:00+00:00", 81.5, 90.0, 60.0))
    store.save_run(make_report("run-1", "2024-05-01T10:00:00+00:00", 70.0, 90.0, 50.0))
    assert store.get_run("run-1")["summary"]["score"] == 70.0
    assert store._conn.execute("SELECT COUNT(*) FROM findings").fetchone() == (2,)
    assert store._conn.execute("SELECT COUNT(*) FROM touchpoints").fetchone() == (2,)


def test_a_failed_save_writes_nothing(store):
    report = make_report("run-1", "2024-05-01T10:00:00+00:00", 81.5, 90.0, 60.0)
    report["touchpoints"][1]["findings"][0]["message"] = object()  # not bindable by sqlite
    with pytest.raises(sqlite3.Error):
        store.save_run(report)
    assert store.get_run("run-1") is None
    assert store._conn.execute("SELECT COUNT(*) FROM touchpoints").fetchone() == (0,)


def test_save_run_requires_an_id(store):
    with pytest.raises(ValueError):
        store.save_run({"run": {}})


def test_latest_list_and_channel_history(store):
    assert store.latest_run() is None
    store.save_run(make_report("run-2", "2024-05-02T10:00:00+00:00", 75.0, 85.0, 65.0))
    store.save_run(make_report("run-1", "2024-05-01T10:00:00+00:00", 81.5, 90.0, 60.0))
    store.save_run(make_report("run-3", "2024-05-03T10:00:00+00:00", 88.0, 92.0, 84.0))

    assert store.latest_run()["run"]["id"] == "run-3"
    assert store.latest_run(exclude="run-3")["run"]["id"] == "run-2"

    runs = store.list_runs()
    assert [r["id"] for r in runs] == ["run-3", "run-2", "run-1"]
    assert runs[0]["score"] == 88.0
    assert runs[0]["started_at"] == "2024-05-03T10:00:00+00:00"
    assert runs[0]["by_channel"]["calls"]["score"] == 84.0
    assert [r["id"] for r in store.list_runs(limit=2)] == ["run-3", "run-2"]

    web = store.channel_history("web")
    assert [(h["run_id"], h["channel"], h["score"]) for h in web] == [
        ("run-1", "web", 90.0), ("run-2", "web", 85.0), ("run-3", "web", 92.0)]
    assert web[0]["started_at"] == "2024-05-01T10:00:00+00:00"
    everything = store.channel_history(None)
    assert len(everything) == 6
    assert [h["run_id"] for h in everything][:2] == ["run-1", "run-1"]
    assert store.channel_history("sms") == []


def test_vectors_round_trip_as_float16(store):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(3, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store.put_vectors("m1", {"k1": vectors[0], "k2": vectors[1]})
    store.put_vectors("m2", {"k1": vectors[2]})

    found = store.get_vectors("m1", ["k1", "k2", "absent"])
    assert set(found) == {"k1", "k2"}
    assert found["k1"].dtype == np.float32 and found["k1"].shape == (384,)
    assert np.allclose(found["k1"], vectors[0], atol=1e-3)
    assert np.allclose(store.get_vectors("m2", ["k1"])["k1"], vectors[2], atol=1e-3)
    blob_size = store._conn.execute(
        "SELECT length(vector) FROM embeddings WHERE model_id='m1' AND key='k1'").fetchone()[0]
    assert blob_size == 384 * 2


def test_many_vector_keys_in_one_lookup(store):
    items = {f"k{i}": np.full(4, i, dtype=np.float32) for i in range(1200)}
    store.put_vectors("m", items)
    found = store.get_vectors("m", list(items))
    assert len(found) == 1200 and found["k1199"][0] == 1199


def test_a_version_1_store_keeps_its_vectors_in_the_new_layout(tmp_path):
    """Version 1 kept vectors in a WITHOUT ROWID table; opening it moves them, unchanged."""
    path = tmp_path / "audit.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    vector = np.arange(8, dtype=np.float16).tobytes()
    conn.executescript(
        "DROP TABLE embeddings;"
        "CREATE TABLE embeddings (model_id TEXT NOT NULL, key TEXT NOT NULL, dim INTEGER NOT "
        "NULL, vector BLOB NOT NULL, PRIMARY KEY (model_id, key)) WITHOUT ROWID;"
        "UPDATE schema_version SET version = 1;")
    conn.execute("INSERT INTO embeddings VALUES ('m', 'k', 8, ?)", (vector,))
    conn.commit()
    conn.close()

    with Store(path) as s:
        assert np.array_equal(s.get_vectors("m", ["k"])["k"], np.arange(8, dtype=np.float32))
        s.put_vectors("m", {"k2": np.ones(8, dtype=np.float32)})
        assert s.vector_count("m") == 2
    conn = sqlite3.connect(path)
    ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'embeddings'").fetchone()[0]
    assert "WITHOUT ROWID" not in ddl
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()


def test_cached_embedder_stores_every_batch_of_a_long_run(tmp_path, monkeypatch):
    from auditor import embedding

    monkeypatch.setattr(embedding, "WRITE_ROWS", 5)  # several writes, the last one short
    texts = [f"sentence number {i}" for i in range(23)]
    with Store(tmp_path / "audit.db") as s:
        first = CachedEmbedder(HashingEmbedder(), s, batch_size=2).encode(texts)
        assert s.vector_count() == 23
    with Store(tmp_path / "audit.db") as s:
        cached = CachedEmbedder(HashingEmbedder(), s)
        assert np.allclose(cached.encode(texts), first, atol=1e-3)
        assert (cached.hits, cached.misses) == (23, 0)


def test_store_is_a_cache_for_cached_embedder(tmp_path):
    texts = ["Мы рады помочь", "We are glad to help"]
    with Store(tmp_path / "audit.db") as s:
        first = CachedEmbedder(HashingEmbedder(), s).encode(texts)
    with Store(tmp_path / "audit.db") as s:
        cached = CachedEmbedder(HashingEmbedder(), s)
        again = cached.encode(texts)
    assert (cached.hits, cached.misses) == (2, 0)
    assert np.allclose(first, again, atol=1e-3)


def test_garbage_file_raises_tool_error(tmp_path):
    path = tmp_path / "audit.db"
    path.write_bytes(b"this is not a database at all\n" * 200)
    with pytest.raises(ToolError) as info:
        Store(path)
    assert str(path) in str(info.value)
    assert "move it aside" in str(info.value)


def test_folder_path_raises_tool_error(tmp_path):
    with pytest.raises(ToolError) as info:
        Store(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_newer_schema_raises_tool_error(tmp_path):
    path = tmp_path / "audit.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(ToolError, match="schema version 99"):
        Store(path)


def test_two_stores_on_one_file_both_write(tmp_path):
    path = tmp_path / "audit.db"
    with Store(path) as a, Store(path) as b:
        a.save_run(make_report("run-a", "2024-05-01T10:00:00+00:00", 80.0, 80.0, 80.0))
        b.save_run(make_report("run-b", "2024-05-02T10:00:00+00:00", 70.0, 70.0, 70.0))
        errors: list[BaseException] = []

        def write(store: Store, prefix: str) -> None:
            try:
                for i in range(30):
                    store.put_vectors("m", {f"{prefix}{i}": np.ones(8, dtype=np.float32)})
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(a, "a")),
                   threading.Thread(target=write, args=(b, "b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert a.get_run("run-b") is not None and b.get_run("run-a") is not None
        assert a.vector_count("m") == 60


def test_a_store_another_connection_is_still_setting_up_is_waited_for(tmp_path):
    # SQLite refuses the switch to WAL at once (no busy wait) while another connection
    # writes to a store still in its first journal mode: two audits creating one new store
    # made the second fail with "database is locked" (seen in CI).
    import sqlite3

    path = tmp_path / "audit.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE setting_up (a)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO setting_up VALUES (1)")
    timer = threading.Timer(0.3, other.execute, args=("COMMIT",))
    timer.start()
    try:
        with Store(path) as store:
            assert store.journal_mode == "wal"
    finally:
        timer.join()
        other.close()


def test_two_processes_share_one_store(tmp_path):
    path = tmp_path / "audit.db"
    code = (
        "import sys, numpy as np\n"
        "from auditor.store import Store\n"
        "with Store(sys.argv[1]) as s:\n"
        "    for i in range(50):\n"
        "        s.put_vectors('m', {sys.argv[2] + str(i): np.ones(16, dtype=np.float32)})\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), tag], cwd=REPO)
             for tag in "xy"]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    with Store(path) as s:
        assert s.vector_count("m") == 100
