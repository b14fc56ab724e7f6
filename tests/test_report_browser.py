"""The HTML report in a real browser: offline, inert against hostile copy, usable.

Opens the sample report from disk in Chromium (Playwright, sync API) and records every request
and console message. Saves a full-page screenshot to ``docs/img/report-sample.png`` for the docs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reports import write
from reports.json_report import to_dict
from tests.report_samples import XSS_MARKER, sample_run

pytestmark = pytest.mark.browser

DOCS_SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "img" / "report-sample.png"


@pytest.fixture()
def opened(browser, tmp_path):
    """The sample report opened from a file, with its requests and console messages."""
    path = write(to_dict(sample_run()), "html", tmp_path / "report.html")
    url = path.as_uri()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    console: list[tuple[str, str]] = []
    page_errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append((message.type, message.text)))
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(200)
    yield page, url, requests, console, page_errors
    page.close()


def test_report_requests_nothing_but_itself_and_logs_no_errors(opened):
    page, url, requests, console, page_errors = opened
    # data: URIs (the inline favicon) never reach a network; nothing else may be requested.
    assert [r for r in requests if not r.startswith("data:")] == [url]
    assert [text for kind, text in console if kind in ("error", "warning")] == []
    assert page_errors == []


def test_hostile_copy_stays_text(opened):
    page, _url, _requests, _console, _errors = opened
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img").count() == 0
    title = page.locator("tbody.tp", has_text="Launch notes").locator("th.tp-title")
    assert title.inner_text() == "Launch notes </script><script>window.__pwned=1</script>"
    assert page.evaluate(
        "JSON.parse(document.getElementById('report-data').textContent).schema"
    ) == "brand-audit/report"
    row = page.locator("tbody.tp", has_text="Launch notes")
    row.locator("summary").click()
    evidence = row.locator("figure.said blockquote")
    assert '<img src=x onerror="window.__pwned=1">' in evidence.inner_text()
    assert evidence.is_visible()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert XSS_MARKER in page.locator("body").inner_text()


def test_expanding_a_diverging_row_shows_the_exemplar(opened):
    page, *_ = opened
    row = page.locator("tbody.tp[data-status='diverges']", has_text="Plans and pricing")
    exemplar = row.locator("figure.exemplar").first
    assert not exemplar.is_visible()
    row.locator("summary").click()
    assert exemplar.is_visible()
    assert "On-brand example" in exemplar.text_content()
    assert "Your first bag ships free" in exemplar.inner_text()
    assert row.locator(".suggestion").first.is_visible()


def test_most_urgent_link_opens_the_touchpoint(opened):
    page, *_ = opened
    urgent = page.locator("#urgent .urgent-item").first
    assert "Telegram" in urgent.inner_text()
    urgent.locator("h3 a").click()
    target = page.locator("tbody.tp", has_text="Telegram: Акция недели")
    assert target.locator("figure.exemplar").first.is_visible()


def test_filters_and_search(opened):
    page, *_ = opened
    rows = page.locator("tbody.tp")
    visible = page.locator("tbody.tp:not([hidden])")
    total = rows.count()
    assert page.locator("#tp-filters").is_visible()
    assert page.locator("#f-count").inner_text() == f"Showing all {total} touchpoints"

    page.select_option("#f-channel", "calls")
    assert visible.count() == 2
    assert all(v == "calls" for v in visible.evaluate_all(
        "rows => rows.map(r => r.dataset.channel)"))

    page.select_option("#f-status", "diverges")
    assert visible.count() == 1
    assert "cancel subscription" in visible.first.inner_text()
    assert page.locator("#f-count").inner_text() == f"Showing 1 of {total} touchpoints"

    page.select_option("#f-channel", "")
    page.select_option("#f-status", "")
    page.fill("#f-search", "пожалеете")  # Russian copy inside a collapsed finding
    assert visible.count() == 1
    assert "Telegram" in visible.first.inner_text()

    page.fill("#f-search", "no such words anywhere")
    assert visible.count() == 0
    assert page.locator("tbody.tp-empty").is_visible()

    page.fill("#f-search", "")
    assert visible.count() == total


def test_expand_all_and_screenshot(opened, tmp_path):
    page, *_ = opened
    page.click("#expand-all")
    assert page.locator("tbody.tp details:not([open])").count() == 0
    page.click("#expand-all")
    assert page.locator("tbody.tp details[open]").count() == 0
    # The screenshot shows one diverging touchpoint opened, as a reviewer would.
    page.locator("tbody.tp", has_text="Plans and pricing").locator("summary").click()
    DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOT), full_page=True)
    page.screenshot(path=str(tmp_path / "report-sample.png"), full_page=True)
    assert DOCS_SCREENSHOT.stat().st_size > 10_000


def test_keyboard_opens_findings(opened):
    page, *_ = opened
    summary = page.locator("tbody.tp[data-status='diverges'] summary").first
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("tbody.tp[data-status='diverges'] details").first.get_attribute(
        "open") is not None


def test_narrow_screen_and_print_layouts(browser, tmp_path):
    path = write(to_dict(sample_run()), "html", tmp_path / "report.html")
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(path.as_uri())
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(tmp_path / "report-narrow.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("#tp-filters").is_visible()
    page.pdf(path=str(tmp_path / "report.pdf"))
    page.close()
