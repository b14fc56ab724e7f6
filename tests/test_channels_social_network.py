"""Social kinds that page through a server: a Telegram channel preview and the Mastodon API.

A local server (127.0.0.1, ephemeral port) mimics t.me/s/<name> with ``?before=<id>`` paging
(pages from tests/fixtures/channels/social/telegram) and Mastodon's
``/api/v1/accounts/lookup`` and ``/api/v1/accounts/:id/statuses`` with ``max_id`` and ``limit``
(statuses from tests/fixtures/channels/social/mastodon, served with the API's semantics).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from auditor.types import CollectionError, Touchpoint
from channels import CollectContext
from channels.social import SocialOptions, collect

SOCIAL = Path(__file__).parent / "fixtures" / "channels" / "social"
USER_AGENT = "brand-audit-test/1.0 (+https://example.org/bot)"


@dataclass
class PlatformServer:
    url: str = ""
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, User-Agent)

    @property
    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


def _handler(state: PlatformServer) -> type[BaseHTTPRequestHandler]:
    statuses = json.loads((SOCIAL / "mastodon" / "statuses.json").read_text(encoding="utf-8"))
    account = json.loads((SOCIAL / "mastodon" / "account.json").read_text(encoding="utf-8"))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            state.requests.append((self.path, self.headers.get("User-Agent", "")))
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            path = parts.path.rstrip("/").split("/")[1:]
            if path[:1] == ["s"] and len(path) == 2:
                name = path[1] + (f"-before-{query['before']}" if "before" in query else "")
                page = SOCIAL / "telegram" / f"{name}.html"
                if page.is_file():
                    return self._send(200, "text/html; charset=utf-8", page.read_bytes())
            elif path == ["api", "v1", "accounts", "lookup"]:
                if query.get("acct", "").split("@")[0] == account["username"]:
                    return self._json(account)
                return self._json({"error": "Record not found"}, 404)
            elif path[:3] == ["api", "v1", "accounts"] and path[4:] == ["statuses"]:
                if path[3] != account["id"]:
                    return self._json({"error": "Record not found"}, 404)
                limit = min(int(query.get("limit", 20)), 40)
                max_id = int(query.get("max_id", 10**30))
                return self._json([s for s in statuses if int(s["id"]) < max_id][:limit])
            elif path == ["broken", "api", "v1", "accounts", "lookup"]:
                return self._send(200, "application/json", b'{"id": "1", ')
            self._send(404, "text/plain", b"not found")

        def _json(self, value: object, status: int = 200) -> None:
            self._send(status, "application/json; charset=utf-8",
                       json.dumps(value, ensure_ascii=False).encode("utf-8"))

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[PlatformServer]:
    state = PlatformServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def run(**options) -> tuple[list[Touchpoint], list[CollectionError]]:
    ctx = CollectContext(base_dir=SOCIAL, user_agent=USER_AGENT)
    results = list(collect(SocialOptions(delay=0.0, **options), ctx))
    return ([r for r in results if isinstance(r, Touchpoint)],
            [r for r in results if isinstance(r, CollectionError)])


# -- Telegram -----------------------------------------------------------------------------------

def test_telegram_pages_back_to_the_first_post(server):
    posts, errors = run(kind="telegram", url=f"{server.url}/s/acme_news")
    assert errors == []
    assert server.paths == ["/robots.txt", "/s/acme_news", "/s/acme_news?before=1013",
                            "/s/acme_news?before=1009"]
    assert {agent for _, agent in server.requests} == {USER_AGENT}
    # Newest first; the photo-only post, the service message and the forward are left out.
    assert [p.metadata["post_id"] for p in posts] == [
        f"acme_news/{n}" for n in (1016, 1015, 1014, 1013, 1012, 1011, 1010, 1009, 1007, 1005)]
    by_number = {p.metadata["post_id"].split("/")[1]: p for p in posts}
    assert by_number["1007"].blocks[0].text == \
        "Мы открыли новый склад в Казани.\nТеперь доставка ещё быстрее! 🚀"
    assert by_number["1007"].metadata["hashtags"] == "склад доставка"
    assert by_number["1007"].metadata["likes"] == "1248"  # 48 + 1.2K reactions
    assert by_number["1007"].metadata["views"] == "3.4K"
    assert by_number["1009"].blocks[0].text == \
        "Delivery update: trucks leave at 7:00 & arrive by noon. Details:"
    assert by_number["1011"].metadata["links"] == "https://acme.example/story"
    assert by_number["1011"].metadata["mentions"] == "courier_team"
    assert "reply" not in by_number["1010"].metadata  # answers the channel's own post
    assert by_number["1016"].source == "https://t.me/acme_news/1016"
    assert by_number["1016"].blocks[0].locator.source == f"{server.url}/s/acme_news"


def test_telegram_stops_at_max_posts(server):
    posts, _ = run(kind="telegram", url=f"{server.url}/s/acme_news", max_posts=6)
    assert server.paths[1:] == ["/s/acme_news", "/s/acme_news?before=1013"]
    assert [p.metadata["post_id"] for p in posts] == [
        f"acme_news/{n}" for n in (1016, 1015, 1014, 1013, 1012, 1011)]


def test_telegram_stops_at_since_and_marks_forwards_on_request(server):
    posts, _ = run(kind="telegram", url=f"{server.url}/s/acme_news", since="2024-05-04",
                   until="2024-05-10", include_reposts=True)
    assert server.paths[-1] == "/s/acme_news?before=1009"  # the page that crossed `since`
    assert [p.metadata["post_id"] for p in posts] == [
        f"acme_news/{n}" for n in (1014, 1013, 1012, 1011, 1010, 1009, 1008)]
    forward = posts[-1]
    assert forward.metadata["repost"] == "true"
    assert forward.metadata["reposted_from"] == "Partner Shop"


def test_telegram_unknown_channel_and_bad_account(server):
    posts, errors = run(kind="telegram", url=f"{server.url}/s/nobody")
    assert posts == []
    assert errors[0].source == f"{server.url}/s/nobody" and "HTTP 404" in errors[0].error
    _, errors = run(kind="telegram", account="a b")
    assert "needs `account`" in errors[0].error


# -- Mastodon -----------------------------------------------------------------------------------

def test_mastodon_statuses_paged_with_max_id(server):
    posts, errors = run(kind="mastodon", account="acme@mastodon.example", url=server.url,
                        max_posts=7, include_reposts=True)
    assert errors == []
    lookup, *pages = [p for p in server.paths if p != "/robots.txt"]
    assert lookup == "/api/v1/accounts/lookup?acct=acme@mastodon.example"
    assert pages == ["/api/v1/accounts/109876543210/statuses?limit=7"]
    assert len(posts) == 7

    posts, _ = run(kind="mastodon", account="@acme@mastodon.example", url=server.url,
                   include_reposts=True)
    ids = [p.id for p in posts]
    assert ids[0] == "social:mastodon:mastodon.example/112412000000000007"
    assert len(ids) == 8
    tip = posts[0]
    assert tip.blocks[0].text == "Weekend tip: track every parcel with one tap in the app 👇"
    assert tip.metadata["hashtags"] == "tips acme"
    assert tip.metadata["links"] == "https://acme.example/app"
    assert (tip.metadata["likes"], tip.metadata["reposts"], tip.metadata["replies"]) == \
        ("21", "5", "2")
    assert tip.metadata["author"] == "Acme"
    boost = posts[1]
    assert boost.metadata["repost"] == "true"
    assert boost.metadata["reposted_from"] == "@partnershop@shops.example"
    assert boost.metadata["author"] == "Partner Shop"
    assert boost.id == "social:mastodon:shops.example/112400000000000077"
    assert boost.blocks[0].text == "Our summer sale starts Monday! Up to 50% off garden furniture."
    warned = next(p for p in posts if p.id.endswith("112408000000000001"))
    assert warned.blocks[0].text == ("Delivery times change on Monday\n\n"
                                     "Delivery update: trucks leave at 7:00 & arrive by noon.")
    russian = next(p for p in posts if p.id.endswith("112409000000000003"))
    assert russian.language == "ru" and russian.metadata["hashtags"] == "доставка"


def test_mastodon_pages_back_with_max_id_of_the_last_status(server, monkeypatch):
    from channels import social_feeds

    monkeypatch.setattr(social_feeds, "MASTODON_PAGE", 3)  # the API's page of 40, made small
    posts, errors = run(kind="mastodon", account="acme", url=server.url, include_reposts=True)
    assert errors == []
    pages = [p for p in server.paths if "/statuses" in p]
    base = "/api/v1/accounts/109876543210/statuses?limit=3"
    # Each page asks for statuses older than the last one it got; an empty page ends it.
    assert pages == [base, f"{base}&max_id=112411000000000005",
                     f"{base}&max_id=112408000000000002", f"{base}&max_id=112401000000000000"]
    assert len(posts) == 8 and len({p.id for p in posts}) == 8


def test_mastodon_small_pages_since_and_default_filters(server):
    posts, _ = run(kind="mastodon", account="acme", url=server.url, max_posts=5,
                   include_replies=False)
    pages = [p for p in server.paths if "/statuses" in p]
    assert pages == ["/api/v1/accounts/109876543210/statuses?limit=5"]
    # Boost left out by default, the reply to @maria left out by the option; own thread kept.
    assert [p.id.rsplit("/", 1)[1] for p in posts] == [
        "112412000000000007", "112411000000000005", "112409000000000003"]

    server.requests.clear()
    posts, _ = run(kind="mastodon", account="acme", url=server.url, since="2024-05-09")
    assert [p.id.rsplit("/", 1)[1] for p in posts] == [
        "112412000000000007", "112411000000000005", "112410000000000004", "112409000000000003"]


def test_mastodon_errors_name_the_url(server):
    _, errors = run(kind="mastodon", account="nobody", url=server.url)
    assert errors[0].source == f"{server.url}/api/v1/accounts/lookup?acct=nobody"
    assert "HTTP 404" in errors[0].error and "no such account" in errors[0].error
    _, errors = run(kind="mastodon", account="acme", url=f"{server.url}/broken")
    assert "line 1, column" in errors[0].source and "not JSON" in errors[0].error
    _, errors = run(kind="mastodon", account="acme")
    assert "has no server" in errors[0].error
