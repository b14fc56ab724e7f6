"""The HTML report in a real browser: offline, inert against hostile copy, usable.

Opens the sample report from disk in Chromium (Playwright, sync API) and records every request
and console message. The 10,000-touchpoint report is exercised in ``test_report_scale.py``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from reports import write
from reports.json_report import to_dict
from tests.report_samples import XSS_MARKER, sample_run

pytestmark = pytest.mark.browser


def _open(browser, path, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    log = {"requests": [], "console": [], "errors": []}
    page.on("request", lambda request: log["requests"].append(request.url))
    page.on("console", lambda message: log["console"].append((message.type, message.text)))
    page.on("pageerror", lambda error: log["errors"].append(str(error)))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector("body[data-ready='true']")
    return page, log


@pytest.fixture()
def opened(browser, tmp_path):
    """The sample report opened from a file, with its requests and console messages."""
    path = write(to_dict(sample_run()), "html", tmp_path / "report.html")
    page, log = _open(browser, path)
    yield page, path.as_uri(), log
    page.close()


def _row(page, title):
    return page.locator("#tp-body tr.tp-row", has_text=title)


def test_report_requests_nothing_but_itself_and_logs_no_errors(opened):
    page, url, log = opened
    # data: URIs (the inline favicon) never reach a network; nothing else may be requested.
    assert [r for r in log["requests"] if not r.startswith("data:")] == [url]
    assert [text for kind, text in log["console"] if kind in ("error", "warning")] == []
    assert log["errors"] == []


def test_hostile_copy_stays_text(opened):
    page, _url, _log = opened
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img").count() == 0
    row = _row(page, "Launch notes")
    assert row.locator(".tp-toggle span").nth(1).inner_text() == (
        "Launch notes </script><script>window.__pwned=1</script>")
    row.locator(".tp-toggle").click()
    details = page.locator("tr.tp-detail")
    assert '<img src=x onerror="window.__pwned=1">' in details.inner_text()
    assert details.locator("mark").inner_text() == "cheap"
    assert details.locator("figure.exemplar").inner_text().count("</script> <b>bold</b>") == 1
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("script").count() == 3  # the data, the messages, the report's own
    assert XSS_MARKER in page.locator("body").inner_text()


def test_expanding_a_diverging_row_marks_the_sentences_next_to_the_exemplar(opened):
    page, *_ = opened
    row = _row(page, "Plans and pricing")
    toggle = row.locator(".tp-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    detail = page.locator("tr.tp-detail")
    marks = detail.locator("mark")
    # Two overlapping findings: the countdown alone, then the shouting that both cover.
    assert marks.all_inner_texts() == ["Only 2 hours left! ", "BUY NOW before prices go up!!!"]
    assert marks.nth(0).get_attribute("data-rule") == "respect.false_urgency"
    assert marks.nth(1).get_attribute("data-rule") == "respect.false_urgency respect.shouting"
    assert "Your first bag ships free" in detail.locator("figure.exemplar").inner_text()
    assert detail.locator(".note").count() == 2
    assert "Say what the offer is" in detail.locator(".note").first.inner_text()
    assert detail.locator("a[href='https://northwind.example/pricing']").count() == 1
    toggle.click()
    assert page.locator("tr.tp-detail").count() == 0


def test_call_shows_customer_turns_as_unscored_context(opened):
    page, *_ = opened
    _row(page, "cancel subscription").locator(".tp-toggle").click()
    detail = page.locator("tr.tp-detail")
    assert detail.locator(".block.context").count() == 3
    flagged = detail.locator(".block", has=page.locator("mark"))
    assert "Agent · 01:23" in flagged.inner_text()
    assert "Call 2024-05-02-0915" in detail.locator(".source-line").inner_text()
    assert detail.locator(".role-guess").count() == 0  # roles came from the config


def test_call_with_guessed_roles_says_so(browser, tmp_path):
    report = to_dict(sample_run())
    call = next(tp for tp in report["touchpoints"] if tp["id"] == "calls:2024-05-02-0915")
    call["metadata"] = {**call.get("metadata", {}), "role_guess": "true",
                        "role_note": "'Operator' is taken as the agent because they open like "
                                     "an agent ('thanks for calling')"}
    page, log = _open(browser, write(report, "html", tmp_path / "report.html"))
    _row(page, "cancel subscription").locator(".tp-toggle").click()
    note = page.locator("tr.tp-detail .role-guess")
    expect(note).to_have_text("Speaker roles are a guess, not configured: 'Operator' is taken "
                              "as the agent because they open like an agent ('thanks for "
                              "calling')")
    assert log["errors"] == []
    page.close()


def test_most_urgent_link_opens_the_touchpoint(opened):
    page, *_ = opened
    urgent = page.locator("#urgent .urgent-item").first
    assert "Telegram" in urgent.inner_text()
    urgent.locator("h3 a").click()
    detail = page.locator("tr.tp-detail")
    assert detail.count() == 1
    assert "Купите сейчас, иначе пожалеете!" in detail.locator("mark").first.inner_text()


def test_filters_search_and_sort(opened):
    page, *_ = opened
    rows = page.locator("#tp-body tr.tp-row")
    total = rows.count()
    assert total == 9
    assert page.locator("#f-count").inner_text() == "Showing all 9 touchpoints"
    page.select_option("#f-channel", "calls")
    expect(rows).to_have_count(2)
    page.select_option("#f-status", "diverges")
    expect(rows).to_have_count(1)
    assert "cancel subscription" in rows.first.inner_text()
    assert page.locator("#f-count").inner_text() == "Showing 1 of 9 touchpoints"
    page.click("#f-reset")
    # The report's CSP forbids eval, so no wait_for_function with a string: expect() polls.
    expect(rows).to_have_count(9)
    page.select_option("#f-agent", "agent-04")
    expect(rows).to_have_count(1)
    assert "office plan" in rows.first.inner_text()
    page.select_option("#f-agent", "")
    page.select_option("#f-rule", "respect.shouting")
    expect(rows).to_have_count(1)
    assert "Plans and pricing" in rows.first.inner_text()
    page.select_option("#f-rule", "")
    page.select_option("#f-language", "ru")
    expect(rows).to_have_count(2)
    page.select_option("#f-language", "")
    page.fill("#f-search", "пожалеете")  # Russian copy inside a finding
    page.press("#f-search", "Enter")
    expect(rows).to_have_count(1)
    assert "Telegram" in rows.first.inner_text()
    page.fill("#f-search", "no such words anywhere")
    page.press("#f-search", "Enter")
    expect(rows).to_have_count(0)
    assert page.locator("#tp-empty").is_visible()
    page.fill("#f-search", "")
    page.press("#f-search", "Enter")
    # Sorting by score, then reversed; aria-sort says which.
    header = page.locator("th[data-sort='score']")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    scores = [s for s in rows.evaluate_all("r => r.map(x => x.children[1].innerText)")]
    assert scores[0] == "—" and scores[1] == "37"
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert rows.first.locator("td").nth(1).inner_text() == "88"
    assert page.locator("th[data-sort='status']").get_attribute("aria-sort") == "none"


def test_keyboard_opens_a_row_and_reaches_the_map(opened):
    page, *_ = opened
    toggle = page.locator("#tp-body .tp-toggle").first
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    point = page.locator("#brand-map a[data-open]").first
    point.focus()
    assert page.evaluate("document.activeElement.getAttribute('data-open')")
    page.keyboard.press("Enter")
    opened_id = point.get_attribute("data-open")
    assert page.locator(f"#tp-body tr.tp-row[data-id='{opened_id}'] .tp-toggle").get_attribute(
        "aria-expanded") == "true"


def test_russian_interface(browser, tmp_path):
    report = to_dict(sample_run())
    chrome = next(tp for tp in report["touchpoints"] if tp["title"] == "Plans and pricing")
    site_wide = {**chrome, "id": "web:acme.example#site-wide",
                 "title": "Site-wide navigation and footer"}
    report["touchpoints"].append(site_wide)
    path = write(report, "html", tmp_path / "report.html", lang="ru")
    page, log = _open(browser, path)
    # A site's navigation and footer is named in Russian in the list the page draws.
    assert _row(page, "Навигация и подвал сайта").count() == 1
    assert _row(page, "Site-wide navigation").count() == 0
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("#f-count").inner_text() == "Показаны все касания: 10"
    assert "Самое срочное" in page.locator("#urgent h2").inner_text()
    _row(page, "Plans and pricing").locator(".tp-toggle").click()
    assert "Как звучит голос бренда" in page.locator("figure.exemplar figcaption").text_content()
    assert log["errors"] == []
    page.close()


def test_narrow_screen_and_print_layouts(browser, tmp_path):
    report = to_dict(sample_run())
    # A long agent name in the filter's options widened the page past a phone's screen.
    agent = next(tp for tp in report["touchpoints"] if tp.get("agent_id"))
    agent["agent_id"] = "customer-success-team-north-east-region-evening-shift"
    path = write(report, "html", tmp_path / "report.html")
    page, _log = _open(browser, path, width=390)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"page scrolls sideways on a phone ({width}px)"
    # Each touchpoint is a card: its title whole at the card's width (the table's seven
    # columns left it cut off at the screen's edge), its status, score and findings above.
    cards = page.evaluate("""() => {
        const seen = document.querySelector('#tp-table').parentElement.getBoundingClientRect();
        return [...document.querySelectorAll('#tp-body tr.tp-row')].map(tr => {
            const title = tr.querySelector('.tp-title').getBoundingClientRect();
            return {text: tr.querySelector('.tp-toggle').textContent, width: title.width,
                    inside: [...tr.children].every(c => c.getBoundingClientRect().right
                                                        <= seen.right + 0.5)};
        }); }""")
    assert cards
    for card in cards:
        assert card["width"] > 280 and card["inside"], card
    # A call's agent is on its card, named ("Agent: ..."), not hidden with the wide columns.
    agent_cell = page.locator("#tp-body tr.tp-row td[data-label]").first
    assert agent_cell.is_visible() and agent_cell.inner_text() == agent["agent_id"]
    # Each channel a card too, every count under its column's name (six columns ran off the
    # screen); a wider table scrolls inside its card with its first column held in place.
    channels = page.evaluate("""() => {
        const box = document.querySelector('#channels .table-scroll');
        return {overflow: box.scrollWidth - box.clientWidth,
                labels: [...box.querySelectorAll('tbody td[data-label]')].map(
                    td => getComputedStyle(td, '::before').content)}; }""")
    assert channels["overflow"] <= 1, channels
    assert channels["labels"] and all(label.strip('"') for label in channels["labels"])
    held = page.evaluate("""() => [...document.querySelectorAll('.table-scroll')]
        .filter(box => box.scrollWidth > box.clientWidth + 1).map(box => {
            box.scrollLeft = box.scrollWidth;
            const first = box.querySelector('tbody tr > :first-child');
            return [box.closest('section').id,
                    first.getBoundingClientRect().left - box.getBoundingClientRect().left];
        })""")
    # The brand map is square, so on a phone its diverging rings stay big enough to see and
    # tap (drawn 760 by 440, they were 3.4 pixels across the radius).
    ring = page.evaluate("""() => {
        const svg = document.querySelector('svg.map-chart');
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        return svg.querySelector('circle.ring').r.baseVal.value * scale; }""")
    assert ring >= 5, f"{ring:.1f} px"
    assert held, "no table wider than a phone in the sample: the check would not run"
    for section, offset in held:
        assert abs(offset) <= 1, f"#{section}'s first column scrolled away ({offset:.0f} px)"
    page.emulate_media(media="print")
    assert not page.locator("#tp-filters").is_visible()
    # On paper a touchpoint is not split from its details across a page break.
    assert page.evaluate("getComputedStyle(document.querySelector('#tp-body tr.tp-row'))"
                         ".breakInside") == "avoid"
    page.pdf(path=str(tmp_path / "report.pdf"))
    assert (tmp_path / "report.pdf").stat().st_size > 20_000
    page.close()


def test_channel_cards_on_a_small_phone_in_russian(browser, tmp_path):
    # Four counts a line on a 320-pixel phone: "ИЗМЕНЕНИЕ" ran into "В ГОЛОСЕ" and
    # "РАСХОДЯТСЯ" was cut off; two a line leave each its name on one line.
    path = write(to_dict(sample_run()), "html", tmp_path / "report.html", lang="ru")
    page, _log = _open(browser, path, width=320)
    rows = page.evaluate("""() => [...document.querySelectorAll('.channel-table tbody tr')]
        .map(tr => [...tr.children].map(c => {
            const r = c.getBoundingClientRect();
            return [r.left, r.top, r.right, r.bottom, c.dataset.label || c.textContent]; }))""")
    assert rows
    for cells in rows:
        for k, a in enumerate(cells):
            for b in cells[k + 1:]:
                apart = a[2] <= b[0] + 0.5 or b[2] <= a[0] + 0.5 or a[3] <= b[1] + 0.5 \
                    or b[3] <= a[1] + 0.5
                assert apart, f"{a[4]!r} overlaps {b[4]!r}"
        counts = cells[2:]  # after the name and the score
        assert len(counts) == 4 and all(c[2] - c[0] >= 100 for c in counts), counts
    page.close()


#: Charts show a drawing of their own on a phone; text below this is hard to read.
READABLE_PX = 10


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("width", [390, 1280])
def test_charts_are_drawn_for_the_screen_they_are_read_on(browser, tmp_path, lang, width):
    # One drawing 760 units wide was scaled down to 5-pixel text on a 390-pixel phone.
    path = write(to_dict(sample_run()), "html", tmp_path / "report.html", lang=lang)
    page, _log = _open(browser, path, width=width)
    charts = page.evaluate("""() => [...document.querySelectorAll('svg.chart')]
        .filter(svg => svg.getBoundingClientRect().width > 0 && svg.querySelector('text'))
        .map(svg => {
            const box = svg.viewBox.baseVal;
            const scale = svg.getBoundingClientRect().width / box.width;
            return {kind: svg.classList[1], screen: svg.classList[2],
                    texts: [...svg.querySelectorAll('text')].map(t => {
                        const b = t.getBBox();
                        return {text: t.textContent, cls: t.getAttribute('class'),
                                px: parseFloat(getComputedStyle(t).fontSize) * scale,
                                left: b.x, right: b.x + b.width, top: b.y,
                                bottom: b.y + b.height};
                    }), width: box.width, height: box.height};
        })""")
    kinds = sorted(c["kind"] for c in charts)
    assert kinds == ["dist-chart", "tone-chart", "trend-chart"], kinds  # one drawing of each
    assert {c["screen"] for c in charts} == {"narrow" if width < 720 else "wide"}
    for chart in charts:
        for t in chart["texts"]:
            where = f'{chart["kind"]} at {width} px ({lang}): {t["text"]!r}'
            assert t["px"] >= READABLE_PX, f'{where} is {t["px"]:.1f} px'
            assert -0.5 <= t["left"] and t["right"] <= chart["width"] + 0.5, \
                f'{where} runs outside the drawing ({t["left"]:.0f}-{t["right"]:.0f})'
            assert t["bottom"] <= chart["height"] + 0.5, f'{where} is cut off below'
        zones = sorted((t["left"], t["right"], t["text"]) for t in chart["texts"]
                       if "zone-label" in (t["cls"] or ""))
        for a, b in zip(zones, zones[1:]):
            assert a[1] <= b[0], f"{a[2]!r} runs into {b[2]!r} at {width} px ({lang})"
    page.close()


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("gap_seconds", [5, 3600, 86_400])
def test_trend_labels_stay_inside_the_chart(browser, tmp_path, gap_seconds, width):
    # Runs seconds apart are labelled "2 Dec 07:00:49", "07:00:54": the first label, centred
    # on the first run, was cut off at the chart's left edge.
    from datetime import UTC, datetime, timedelta

    report = to_dict(sample_run())
    first = datetime(2026, 12, 2, 7, 0, 49, tzinfo=UTC)
    for n, run in enumerate(report["context"]["trend"]):
        run["started_at"] = (first + timedelta(seconds=n * gap_seconds)).isoformat()
    path = write(report, "html", tmp_path / "report.html")
    page, _log = _open(browser, path, width=width)
    boxes = page.evaluate("""() => {
        const svg = [...document.querySelectorAll('svg.trend-chart')]
            .find(s => s.getBoundingClientRect().width > 0);  // the drawing for this screen
        const width = svg.viewBox.baseVal.width;
        return [...svg.querySelectorAll('text.tick')].map(t => {
            const b = t.getBBox();
            return [t.textContent, b.x, b.x + b.width, width];
        });
    }""")
    labels = [b for b in boxes if not b[0].strip().isdigit()]  # the runs, not the scores
    assert len(labels) >= 2
    for text, start, end, width in labels:
        assert 0 <= start and end <= width, f"{text!r} runs outside the chart ({start}-{end})"
    spans = sorted((start, end) for _, start, end, _ in labels)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), f"labels overlap: {labels}"
    page.close()
