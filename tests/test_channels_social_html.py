"""Social kind "html": a page whose posts are built by JavaScript, rendered in Chromium.

tests/fixtures/channels/social/html/wall.html writes its posts with a script, so only a
rendered page has them. The collector launches its own Chromium (the ``browser`` fixture is
used to skip or fail cleanly where Chromium is missing).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from auditor.types import CollectionError, Touchpoint
from channels import CollectContext
from channels.social import SocialOptions, collect

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parent / "fixtures" / "channels"
CTX = CollectContext(base_dir=FIXTURES)
WALL = {"kind": "html", "path": "social/html/wall.html", "post_selector": "article.post",
        "text_selector": ".post-text", "date_selector": "time", "link_selector": "a.permalink",
        "author_selector": ".author", "platform": "acme-site", "timeout": 20.0}


def run(**options) -> tuple[list[Touchpoint], list[CollectionError]]:
    results = list(collect(SocialOptions(**options), CTX))
    return ([r for r in results if isinstance(r, Touchpoint)],
            [r for r in results if isinstance(r, CollectionError)])


def test_rendered_wall_with_selectors(browser):
    posts, errors = run(**WALL)
    assert errors == []
    assert [p.blocks[0].text for p in posts] == [
        "Новый склад в Казани уже работает 📦\nДоставка стала быстрее для всего Поволжья.",
        "Thank you for a record week! Read the full story on our blog.",
        "Весенние сроки доставки: 1–2 дня по городу.",
    ]
    first = posts[0]
    assert first.language == "ru"
    assert first.metadata["hashtags"] == "доставка"
    assert first.metadata["author"] == "Acme"
    assert first.metadata["permalink"].endswith("/news/301")
    assert first.captured_at == datetime(2024, 5, 12, 9, 0, tzinfo=timezone(timedelta(hours=3)))
    assert first.blocks[0].locator.describe() == "social/html/wall.html (article.post >> nth=0)"
    assert posts[1].metadata["links"] == "https://acme.example/story"
    assert len({p.id for p in posts}) == 3



def test_selector_that_matches_nothing_and_missing_chromium(browser):
    _, errors = run(**{**WALL, "post_selector": "div.no-such-post", "timeout": 2.0})
    assert errors[0].source == "social/html/wall.html"
    assert "no element matches post_selector 'div.no-such-post'" in errors[0].error
    _, errors = run(**{**WALL, "chromium": "/nonexistent/chromium"})
    assert "Chromium not found at /nonexistent/chromium" in errors[0].error
    _, errors = run(kind="html", path="social/html/wall.html")
    assert "needs post_selector" in errors[0].error
