"""The sync fetcher works even when the caller already runs an event loop (as Playwright's
sync API does in the same test session)."""

from __future__ import annotations

import asyncio

from channels import USER_AGENT
from channels.fetch import Fetcher


def test_fetcher_inside_a_running_loop(tmp_path) -> None:
    import http.server
    import threading

    (tmp_path / "index.html").write_text("<html><body><p>Hello there, friend.</p></body></html>")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(tmp_path), **k)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/index.html"

    async def inside() -> str:
        with Fetcher(USER_AGENT, respect_robots=False) as fetcher:
            return fetcher.get(url, same_origin=False).body.decode()

    # A thread of its own, so the test works whoever else runs a loop in the main thread.
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(asyncio.run(inside())))
    try:
        worker.start()
        worker.join(timeout=60)
        assert result and "Hello there" in result[0]
    finally:
        server.shutdown()
        server.server_close()
