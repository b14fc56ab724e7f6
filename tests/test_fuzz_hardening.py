"""Hostile input end to end: resource limits, scope guards, secrets and store integrity.

Each "done when" of the hardening issue is a test here: a gzip bomb sitemap, a 1 GB transcript
and a JSON export nested 100,000 levels deep are refused with a clear error while the rest of the
audit completes; a public host name that resolves to 127.0.0.1 is refused unless allowed; a
token from the environment never reaches any output of a run that fails while using it.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import zipfile
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.doctor import diagnose
from auditor.engine import collect
from auditor.errors import ConfigError, ToolError
from auditor.store import SCHEMA_VERSION
from auditor.types import CollectionError, Touchpoint
from baselines import DEMO_BASELINE
from channels import CollectContext
from channels.fetch import AsyncFetcher
from channels.limits import LimitError, Limits, cap_touchpoint, check_json_depth, gunzip
from channels.web import WebOptions
from channels.web import collect as collect_web

FIXTURES = Path(__file__).parent / "fixtures"
BASELINE = FIXTURES / "baselines" / "minimal"
PAGE = (b"<html lang=en><head><title>Garden</title></head><body><main><h1>Plant the garden "
        b"you want</h1><p>We help you choose plants that thrive where you live, step by "
        b"step.</p></main></body></html>")


def html(body: bytes = PAGE) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, body


def gzip_bomb(size: int) -> bytes:
    """A gzip stream of ``size`` bytes of a sitemap's whitespace, made without holding it."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    chunk = b" " * (1024 * 1024)
    parts = [packer.compress(b"<?xml version='1.0'?><urlset>")]
    parts += [packer.compress(chunk) for _ in range(size // len(chunk))]
    parts.append(packer.flush())
    return b"".join(parts)


# -- limits: the done-when checks through the engine ---------------------------------------

def test_bombs_giants_and_deep_nesting_are_refused_and_the_audit_completes(site, tmp_path):
    bomb = gzip_bomb(80 * 1024 * 1024)
    assert len(bomb) < 200_000  # small on the wire, 80 MB inflated
    site.routes = {"/": html(), "/sitemap.xml.gz": (200, {"Content-Type": "application/gzip"},
                                                      bomb)}
    calls = tmp_path / "calls"
    calls.mkdir()
    (calls / "good.txt").write_text("Agent: Hello, thank you for calling Sosna. How can I "
                                    "help?\nCustomer: My order is late.\nAgent: I will check "
                                    "it right away and call you back today.\n")
    with open(calls / "huge.txt", "wb") as giant:
        giant.truncate(1024 ** 3)  # a 1 GB sparse file: nothing is written to disk
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "your_posts_1.json").write_text("[" * 100_000 + "]" * 100_000)
    (exports / "posts.jsonl").write_text(json.dumps(
        {"id": "1", "text": "Plant the garden you want: we help, step by step.",
         "date": "2026-10-01"}) + "\n" + "[" * 100_000 + "\n")
    config = tmp_path / "audit.toml"
    config.write_text(f"""
[audit]
baseline = "{BASELINE}"

[[channels.web]]
start = ["{site.url}/", "{site.url}/sitemap.xml.gz"]
sitemaps = false
render = "never"
cache = ""

[[channels.calls]]
path = "calls/"

[[channels.social]]
kind = "facebook-export"
path = "exports/your_posts_1.json"

[[channels.social]]
kind = "jsonl"
path = "exports/posts.jsonl"
""")
    collected = collect(load_config(config))
    errors = {e.source: e.error for e in collected.errors}
    kinds = {t.channel for t in collected.touchpoints}
    assert {"web", "calls", "social"} <= kinds  # every good source next to a bad one was read
    assert "a compression bomb" in errors[f"{site.url}/sitemap.xml.gz"]
    assert errors["calls/huge.txt"].startswith("file too large: 1,024.0 MB")
    assert "max_file_bytes" in errors["calls/huge.txt"]
    deep = errors["exports/your_posts_1.json"]
    assert "nested more than 200 levels deep at line 1, column 201" in deep
    assert "max_json_depth" in errors["exports/posts.jsonl:2"]
    assert [t.source for t in collected.touchpoints if t.channel == "calls"] == \
        ["calls/good.txt"]


def test_limits_are_settings_with_the_key_named_when_wrong(tmp_path):
    config = tmp_path / "audit.toml"
    config.write_text(f'[audit]\nbaseline = "{BASELINE}"\n\n[limits]\nmax_file_bytes = 1024\n'
                      f'max_json_depth = 5\n')
    loaded = load_config(config)
    assert loaded.limits == Limits(max_file_bytes=1024, max_json_depth=5)
    config.write_text(f'[audit]\nbaseline = "{BASELINE}"\n\n[limits]\nmax_blocks = 0\n')
    with pytest.raises(ConfigError, match=r"\[limits\] max_blocks must be a positive"):
        load_config(config)
    config.write_text(f'[audit]\nbaseline = "{BASELINE}"\n\n[limits]\nmax_blok = 5\n')
    with pytest.raises(ConfigError, match="did you mean 'max_blocks'") as info:
        load_config(config)
    assert info.value.line == 5 and info.value.key == "limits.max_blok"


def test_a_file_over_the_configured_cap_is_refused(tmp_path):
    from channels.files import FilesOptions
    from channels.files import collect as collect_files

    (tmp_path / "a.md").write_text("# Small\n\nFits.\n")
    (tmp_path / "b.md").write_text("# Big\n\n" + "word " * 400)
    ctx = CollectContext(base_dir=tmp_path, limits=Limits(max_file_bytes=1000))
    results = list(collect_files(FilesOptions(path="."), ctx))
    assert [r.source for r in results if isinstance(r, Touchpoint)] == ["a.md"]
    (error,) = [r for r in results if isinstance(r, CollectionError)]
    assert error.source == "b.md" and "max_file_bytes" in error.error


def test_the_configured_caps_reach_every_collector(tmp_path):
    # [limits] in audit.toml, through the engine (not only a context built by hand).
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("# Small\n\nFits.\n")
    (tmp_path / "content" / "b.md").write_text("# Big\n\n" + "word " * 400)
    config = tmp_path / "audit.toml"
    config.write_text(f'[audit]\nbaseline = "{BASELINE}"\n\n[limits]\nmax_file_bytes = 1000\n\n'
                      f'[[channels.files]]\npath = "content/"\n', encoding="utf-8")
    collected = collect(load_config(config))
    assert [t.source for t in collected.touchpoints] == ["content/a.md"]
    (error,) = collected.errors
    assert error.source == "content/b.md" and "max_file_bytes" in error.error


def test_the_configured_json_depth_reaches_transcripts_and_exports(tmp_path):
    # [limits] max_json_depth is for every JSON input, not only JSON Lines and feeds.
    (tmp_path / "calls").mkdir()
    (tmp_path / "calls" / "call.json").write_text(json.dumps(
        {"segments": [{"start": 0, "end": 1, "speaker": "Agent",
                       "text": "Hello, how can I help?", "extra": {"a": {"b": {"c": 1}}}}]}))
    (tmp_path / "your_posts_1.json").write_text(json.dumps(
        [{"timestamp": 1759300000, "data": [{"post": "We help.", "x": {"y": {"z": 1}}}]}]))
    config = tmp_path / "audit.toml"
    body = (f'[audit]\nbaseline = "{BASELINE}"\n\n[[channels.calls]]\npath = "calls/"\n\n'
            f'[[channels.social]]\nkind = "facebook-export"\npath = "your_posts_1.json"\n')
    config.write_text(body, encoding="utf-8")
    assert not collect(load_config(config)).errors  # 200 levels by default
    config.write_text(body + "\n[limits]\nmax_json_depth = 4\n", encoding="utf-8")
    errors = {e.source: e.error for e in collect(load_config(config)).errors}
    assert set(errors) == {"calls/call.json:1", "your_posts_1.json"}, errors
    assert all("nested more than 4 levels deep" in e and "max_json_depth" in e
               for e in errors.values()), errors


def test_check_applies_the_configs_caps(tmp_path):
    (tmp_path / "big.md").write_text("# Big\n\n" + "word " * 400)
    config = tmp_path / "audit.toml"
    config.write_text(f'[audit]\nbaseline = "{BASELINE}"\n\n[limits]\nmax_file_bytes = 1000\n',
                      encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "auditor", "check", "--config", str(config),
                           "--no-embeddings", "big.md"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert "big.md" in done.stdout and "max_file_bytes" in done.stdout, done.stdout + done.stderr


def test_zip_bomb_export_is_refused_and_other_members_read(tmp_path):
    archive = tmp_path / "export.zip"
    post = [{"timestamp": 1759300000, "data": [{"post": "We help, step by step."}]}]
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("posts/your_posts_1.json", json.dumps(post))
        bundle.writestr("posts/your_posts_2.json", b"[" + b" " * (3 * 1024 * 1024) + b"]")
    from channels.social import SocialOptions
    from channels.social import collect as collect_social

    ctx = CollectContext(base_dir=tmp_path, limits=Limits(max_decompressed_bytes=1024 ** 2))
    results = list(collect_social(SocialOptions(kind="facebook-export", path="export.zip"),
                                  ctx))
    errors = [r for r in results if isinstance(r, CollectionError)]
    assert len([r for r in results if isinstance(r, Touchpoint)]) == 1
    assert errors and "your_posts_2.json" in errors[0].source
    assert "zip bomb" in errors[0].error


def test_gunzip_and_json_depth_limits():
    with pytest.raises(LimitError, match="max_decompressed_bytes"):
        gunzip(gzip_bomb(3 * 1024 * 1024), Limits(max_decompressed_bytes=1024 ** 2))
    with pytest.raises(ValueError, match="broken gzip"):
        gunzip(b"\x1f\x8b\x08\x00broken")
    check_json_depth('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[["}', Limits(max_json_depth=3))  # in a string
    with pytest.raises(LimitError, match="line 2, column 4"):
        check_json_depth('{"a":\n [[[1]]]}', Limits(max_json_depth=3))


def test_blocks_and_block_length_are_capped_with_a_note():
    from auditor.types import Block, Locator

    blocks = tuple(Block("x" * (5 if i else 50), "files.paragraph", Locator("a.md", line=i + 1))
                   for i in range(10))
    tp = Touchpoint("files:a.md", "files", "a.md", "A", "en", blocks)
    capped, error = cap_touchpoint(tp, Limits(max_blocks=4, max_block_chars=20))
    assert len(capped.blocks) == 4 and len(capped.blocks[0].text) == 20
    assert error is not None and "10 blocks, only the first 4 kept" in error.error
    assert "max_block_chars" in error.error
    assert cap_touchpoint(tp)[1] is None


# -- scope guards ---------------------------------------------------------------------------

@pytest.fixture
def public_name_is_loopback(monkeypatch):
    """DNS says public.example is 127.0.0.1 (a rebinding attack, or a hostile record)."""
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host in ("public.example", b"public.example"):  # str or IDNA bytes
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def crawl(options: WebOptions, base: Path, **ctx) -> tuple[list[Touchpoint],
                                                            list[CollectionError]]:
    results = list(collect_web(options, CollectContext(base_dir=base, **ctx)))
    return ([r for r in results if isinstance(r, Touchpoint)],
            [r for r in results if isinstance(r, CollectionError)])


def test_public_name_resolving_to_loopback_is_refused_by_default(site, tmp_path,
                                                                 public_name_is_loopback):
    site.routes = {"/": html()}
    start = f"http://public.example:{site.port}/"
    options = WebOptions(start=[start], render="never", sitemaps=False, cache="", retries=0)
    pages, errors = crawl(options, tmp_path)
    assert pages == [] and site.requests == []  # nothing reached the machine's own server
    assert any("public.example resolves to 127.0.0.1, a loopback address; refused" in e.error
               and "allow_private_addresses = true" in e.error for e in errors)

    allowed = WebOptions(start=[start], render="never", sitemaps=False, cache="",
                         allow_private_addresses=True)
    pages, errors = crawl(allowed, tmp_path)
    assert [p.source for p in pages if "site-wide" not in p.id] == [start]
    # The global setting ([audit] allow_private_addresses) does the same.
    pages, _ = crawl(options, tmp_path, allow_private_addresses=True)
    assert [p.source for p in pages if "site-wide" not in p.id] == [start]


def test_the_audit_wide_setting_reaches_the_crawl(site, tmp_path, public_name_is_loopback):
    # [audit] allow_private_addresses = true in audit.toml, not only in a channel section.
    site.routes = {"/": html()}
    start = f"http://public.example:{site.port}/"
    config = tmp_path / "audit.toml"
    for allowed in (False, True):
        config.write_text(
            f'[audit]\nbaseline = "{DEMO_BASELINE.as_posix()}"\n'
            f"allow_private_addresses = {str(allowed).lower()}\n\n"
            f'[[channels.web]]\nstart = ["{start}"]\nsitemaps = false\ncache = ""\n'
            f'render = "never"\nretries = 0\n', encoding="utf-8")
        collected = collect(load_config(config))
        pages = [t.source for t in collected.touchpoints if "site-wide" not in t.id]
        assert pages == ([start] if allowed else []), collected.errors


@pytest.mark.parametrize("name", ["rebind.example", "ребинд.example"])
def test_a_name_is_resolved_once_and_connected_to_as_checked(site, tmp_path, monkeypatch,
                                                             name):
    """DNS rebinding: a name that answers 127.0.0.1 when checked and another address when
    connected to. The crawl connects to the address it checked, for every page, an
    internationalised name too (checked and connected to by its IDNA form)."""
    real, answers = socket.getaddrinfo, []
    forms = {name, name.encode("idna"), name.encode("idna").decode()}

    def rebinding(host, *args, **kwargs):
        if host in forms:
            answers.append(host)
            host = "127.0.0.1" if len(answers) == 1 else "192.0.2.1"  # then: nowhere
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    site.routes = {"/": html(PAGE.replace(b"</main>", b"<a href='/next'>Next step</a></main>")),
                   "/next": html()}
    start = f"http://{name}:{site.port}/"
    options = WebOptions(start=[start], render="never", sitemaps=False, cache="", retries=0,
                         allow_private_addresses=True, timeout=5)
    pages, errors = crawl(options, tmp_path)
    assert errors == [] and len(answers) == 1
    assert sorted(p.source for p in pages if "site-wide" not in p.id) == [start, f"{start}next"]


def test_redirects_never_leave_the_scope_or_reach_private_addresses(site, tmp_path):
    site.routes = {
        "/": (302, {"Location": f"http://localhost:{site.port}/elsewhere"}, b""),
        "/file": (302, {"Location": "file:///etc/passwd"}, b""),
    }
    options = WebOptions(start=[f"{site.url}/", f"{site.url}/file", "file:///etc/passwd",
                                "gopher://127.0.0.1/"],
                         render="never", sitemaps=False, cache="")
    pages, errors = crawl(options, tmp_path)
    assert pages == []
    text = {e.source: e.error for e in errors}
    assert "another site; not followed" in text[f"{site.url}/"]
    assert "not http(s)" in text[f"{site.url}/file"]
    assert "not an http(s) URL" in text["file:///etc/passwd"]
    assert "not an http(s) URL" in text["gopher://127.0.0.1/"]
    # Only the two start pages were asked for (concurrently, so in either order).
    assert sorted(path for path, _ in site.requests if path != "/robots.txt") == ["/", "/file"]


@pytest.mark.parametrize(("url", "asked", "refused"), [
    ("http://127.0.0.1:8000/", "127.0.0.1", False),          # configured by IP: allowed
    ("http://localhost:8000/", "localhost", False),          # configured as localhost
    ("http://127.0.0.1:8000/", "public.example", True),      # reached by a redirect
    ("http://169.254.169.254/latest/", "public.example", True),  # cloud metadata, link-local
    ("http://[::ffff:10.0.0.1]/", "public.example", True),   # IPv4-mapped private
    ("http://8.8.8.8/", "public.example", False),            # a public literal
    ("file:///etc/passwd", "", True),
])
def test_address_refusal(url, asked, refused):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    fetcher = AsyncFetcher("test")
    # A thread of its own: another test's browser may have left a loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        reason = pool.submit(asyncio.run, fetcher.address_refusal(url, asked)).result()
    assert (reason is not None) == refused, reason


# -- secrets --------------------------------------------------------------------------------

TOKEN = "s3cr3t-TOKEN-4f9a1c77e2b8"


def test_a_token_in_audit_toml_is_a_config_error_that_does_not_echo_it(tmp_path):
    config = tmp_path / "audit.toml"
    config.write_text(f'[audit]\nbaseline = "{BASELINE}"\n\n[[channels.social]]\n'
                      f'kind = "mastodon"\naccount = "acme@mastodon.example"\n'
                      f'token = "{TOKEN}"\n')
    with pytest.raises(ConfigError) as info:
        load_config(config)
    message = info.value.describe()
    assert TOKEN not in message
    assert info.value.key == "channels.social[0].token" and info.value.line == 7
    assert "token_env" in message and "token_file" in message


def test_a_token_never_reaches_any_output_of_a_failing_run(site, tmp_path):
    def echo(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        # A hostile (or merely chatty) server that repeats the credentials it was sent.
        auth = handler.headers.get("Authorization", "")
        return 401, {"Content-Type": "application/json", "WWW-Authenticate": auth}, \
            json.dumps({"error": f"bad token {auth}"}).encode()

    def account(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        auth = handler.headers.get("Authorization", "")
        return 200, {"Content-Type": "application/json"}, json.dumps(
            {"id": "7", "acct": "acme", "display_name": f"Acme {auth}"}).encode()

    def statuses(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if "max_id" in handler.path:
            return echo(handler)
        auth = handler.headers.get("Authorization", "")
        return 200, {"Content-Type": "application/json"}, json.dumps([{
            "id": "70", "created_at": "2026-10-01T09:00:00Z", "url": f"{site.url}/@acme/70",
            "content": f"<p>Welcome to our garden shop, your key is {auth}</p>"}]).encode()

    site.routes = {"/api/v1/accounts/lookup": account,
                   "/api/v1/accounts/7/statuses": statuses}
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "page.md").write_text("# Plant the garden you want\n\nWe help.\n")
    (tmp_path / "audit.toml").write_text(f"""
[audit]
baseline = "{BASELINE}"
model = "hashing"
store = "state/audit.db"
out = "report"

[[channels.files]]
path = "content/"

[[channels.social]]
kind = "mastodon"
url = "{site.url}"
account = "acme"
token_env = "BRAND_AUDIT_TEST_TOKEN"
respect_robots = false
delay = 0
max_posts = 5
""")
    env = {**os.environ, "BRAND_AUDIT_TEST_TOKEN": TOKEN}
    run = subprocess.run([sys.executable, "-m", "auditor", "run", "--config",
                          str(tmp_path / "audit.toml")], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode in (0, 1), run.stderr
    # The token was used (the server saw it) and the run reported the failure.
    assert any(h.get("Authorization") == f"Bearer {TOKEN}" for _, h in site.requests)
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert any("HTTP 401" in e["error"] for e in report["errors"]), report["errors"]
    outputs = [run.stdout, run.stderr]
    for file in tmp_path.rglob("*"):
        if file.is_file():
            outputs.append(file.read_bytes().decode("utf-8", errors="replace"))
    assert all(TOKEN not in text for text in outputs)
    assert any("[redacted]" in text for text in outputs)  # the echo was there, and hidden


def test_token_file_must_live_outside_the_repository(tmp_path):
    from auditor.secrets import SecretError, resolve_token

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    inside = repo / "token.txt"
    inside.write_text(TOKEN)
    with pytest.raises(SecretError, match="keep secrets outside it"):
        resolve_token(token_env=None, token_file="token.txt", base_dir=repo, where="x")
    outside = tmp_path / "token"
    outside.write_text(TOKEN)
    outside.chmod(0o644)
    with pytest.raises(SecretError, match="chmod 600"):
        resolve_token(token_env=None, token_file=str(outside), base_dir=repo, where="x")
    outside.chmod(0o600)
    assert resolve_token(token_env=None, token_file=str(outside), base_dir=repo,
                         where="x") == TOKEN
    with pytest.raises(SecretError, match="BRAND_AUDIT_UNSET_VAR"):
        resolve_token(token_env="BRAND_AUDIT_UNSET_VAR", token_file=None, base_dir=repo,
                      where="x")


# -- store integrity and doctor -------------------------------------------------------------

def test_a_store_from_a_newer_brand_audit_is_refused_untouched(tmp_path):
    from auditor.store import Store

    path = tmp_path / "audit.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 7")
    conn.execute("UPDATE store_info SET value = '9.0.0' WHERE key = 'written_by'")
    conn.commit()
    conn.close()
    with pytest.raises(ToolError, match=r"written by brand-audit 9\.0\.0 \(schema version 7\)"):
        Store(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM store_info").fetchone() == ("9.0.0",)
    conn.close()


def test_an_older_store_is_migrated_step_by_step(tmp_path, monkeypatch):
    from auditor import store as store_module

    path = tmp_path / "audit.db"
    store_module.Store(path).close()
    current = store_module.SCHEMA_VERSION
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", current + 1)
    monkeypatch.setattr(store_module, "MIGRATIONS", {
        **store_module.MIGRATIONS, current: ["ALTER TABLE runs ADD COLUMN label TEXT"]})
    with store_module.Store(path) as store:
        assert store.list_runs() == []
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(current + 1,)]
    assert "label" in {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    conn.close()


def test_doctor_reports_store_and_config_problems(tmp_path, monkeypatch):
    from auditor.store import Store

    good = tmp_path / "good.db"
    Store(good).close()
    (check,) = diagnose(store=good)
    assert check.ok
    assert f"integrity ok, schema version {SCHEMA_VERSION}, 0 runs, 0 cached vectors" \
        in check.message

    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database at all" * 100)
    (check,) = diagnose(store=broken)
    assert not check.ok and "broken.db" in check.message

    newer = tmp_path / "newer.db"
    Store(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    (check,) = diagnose(store=newer)
    assert not check.ok and "upgrade brand-audit" in check.message

    monkeypatch.setenv("BRAND_AUDIT_CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.delenv("BRAND_AUDIT_TEST_TOKEN", raising=False)
    config = tmp_path / "audit.toml"
    config.write_text(f"""
[audit]
baseline = "{DEMO_BASELINE}"
store = "good.db"

[[channels.files]]
path = "missing-folder/"

[[channels.web]]
start = ["http://127.0.0.1:9/"]

[[channels.social]]
kind = "mastodon"
account = "acme@mastodon.example"
token_env = "BRAND_AUDIT_TEST_TOKEN"
""")
    checks = diagnose(config=config)
    failed = {c.subject: c.message for c in checks if not c.ok}
    assert "missing-folder" in failed["channels.files[0]"]
    assert "needs Chromium" in failed["channels.web[0]"]
    assert "BRAND_AUDIT_TEST_TOKEN" in failed["channels.social[0]"]
    assert [c.subject for c in checks if c.ok] == ["config", "baseline", "store"]


def test_doctor_online_asks_the_site_as_the_crawler_would(site, tmp_path, monkeypatch):
    site.routes = {"/": html(), "/robots.txt": (200, {}, b"User-agent: *\nDisallow: /staff/\n"),
                   "/old": (301, {"Location": "/"}, b""),
                   "/shop": (403, {}, b"no crawlers"), "/staff/": html(),
                   "/sitemap.xml": (200, {"Content-Type": "application/xml"},
                                    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                    b"<url><loc>/a</loc></url><url><loc>/b</loc></url></urlset>"),
                   "/broken.xml": (200, {"Content-Type": "application/xml"}, b"<html>no</html>"),
                   "/index.xml": (200, {"Content-Type": "application/xml"},
                                  b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                                  b'sitemap/0.9"><sitemap><loc>/sitemap.xml</loc></sitemap>'
                                  b"</sitemapindex>")}
    config = tmp_path / "audit.toml"
    urls = [f"{site.url}/", f"{site.url}/old", f"{site.url}/shop", f"{site.url}/staff/",
            f"{site.url}/sitemap.xml", f"{site.url}/broken.xml", f"{site.url}/index.xml"]
    config.write_text(f'[audit]\nbaseline = "{BASELINE}"\n\n[[channels.web]]\nstart = '
                      f'{json.dumps(urls)}\nrender = "never"\nretries = 0\n', encoding="utf-8")
    assert [c.subject for c in diagnose(config=config)] == ["config", "baseline", "store"]
    assert site.requests == []  # nothing is fetched without --online
    def web_checks():
        return [c for c in diagnose(config=config, online=True)
                if c.subject == "channels.web[0]"]

    assert len(web_checks()) == 5  # the first 5 start URLs
    monkeypatch.setattr("auditor.doctor.ONLINE_START_URLS", 7)
    checks = web_checks()
    assert [c.ok for c in checks] == [True, True, False, False, True, False, True]
    assert checks[0].message.startswith(f"{site.url}/ answers the crawler with ")
    assert checks[1].message.endswith(f"(redirected to {site.url}/)")
    assert checks[2].message.startswith(f"{site.url}/shop: HTTP 403 Forbidden: the server "
                                        f"refused brand-audit")
    assert checks[3].message.startswith(f"{site.url}/staff/: disallowed by {site.url}/robots.txt")
    assert "/staff/" not in [path for path, _ in site.requests]
    # A start URL may be a sitemap: it is read as one.
    assert checks[4].message.endswith("bytes, a sitemap listing 2 pages")
    assert checks[5].message.startswith(f"{site.url}/broken.xml: ")
    assert checks[6].message.endswith("bytes, a sitemap listing 1 sitemap")


def test_doctor_command_exit_codes(tmp_path):
    from auditor.store import Store

    Store(tmp_path / "audit.db").close()
    env = {**os.environ}
    ok = subprocess.run([sys.executable, "-m", "auditor", "doctor", "--store",
                         str(tmp_path / "audit.db")], capture_output=True, text=True, env=env,
                        timeout=120)
    assert ok.returncode == 0 and "all checks passed" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "auditor", "doctor", "--config",
                          str(FIXTURES / "config" / "unknown_key.toml")], capture_output=True,
                         text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "FAIL config" in bad.stdout and "unknown key" in bad.stdout


def test_doctor_says_approved_copy_in_one_file_cannot_calibrate(tmp_path):
    baseline = tmp_path / "acme"
    (baseline / "exemplars").mkdir(parents=True)
    (baseline / "brand.toml").write_text('name = "Acme"\n', encoding="utf-8")
    (baseline / "exemplars" / "web.md").write_text("We answer every question plainly.\n",
                                                   encoding="utf-8")
    config = tmp_path / "audit.toml"
    config.write_text(f'[audit]\nbaseline = "{baseline}"\n\n[[channels.files]]\npath = "."\n')
    checks = {c.subject: c for c in diagnose(config=config)}
    assert not checks["baseline"].ok
    assert "1 exemplar file. All approved copy is in one file" in checks["baseline"].message
    (baseline / "exemplars" / "posts.md").write_text("Our team is here when you need us.\n",
                                                     encoding="utf-8")
    assert {c.subject: c for c in diagnose(config=config)}["baseline"].ok
