"""Report renderers: the JSON contract, round trips, and the HTML/text/Markdown views."""

from __future__ import annotations

import ast
import dataclasses
import json
import math
import os
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from auditor.errors import BrandAuditError, InputError
from auditor.types import (
    AuditRun,
    Block,
    ChannelSummary,
    Locator,
    Touchpoint,
    TouchpointResult,
)
from reports import FORMATS, render, write
from reports.html import _apart, render_html, script_json
from reports.json_report import load_json, to_dict, write_json
from reports.text import render_markdown, render_text
from tests.report_samples import FIXTURES, XSS_MARKER, sample_run

GOLDEN_JSON = FIXTURES / "sample_report.json"
GOLDEN_TEXT = FIXTURES / "sample_report.txt"
UPDATE_GOLDEN = os.environ.get("BRAND_AUDIT_UPDATE_GOLDEN") == "1"

RUN_KEYS = {"id", "started_at", "finished_at", "baseline", "model", "tool_version"}
SUMMARY_KEYS = {"score", "touchpoints", "diverging", "warnings", "by_channel"}
CHANNEL_KEYS = {"score", "touchpoints", "diverging", "warnings"}
TOUCHPOINT_KEYS = {"id", "channel", "source", "locator", "title", "language", "score", "status",
                   "findings"}
#: Additive extensions of schema version 1, each omitted when empty.
TOUCHPOINT_OPTIONAL = {"agent_id", "blocks", "tone", "similarity", "position", "metadata"}
FINDING_KEYS = {"rule", "severity", "message", "evidence", "fingerprint"}
FINDING_OPTIONAL = {"span", "suggestion", "exemplar", "locator", "block"}
STATUS_RANK = {"diverges": 0, "warn": 1, "ok": 2}


@pytest.fixture(scope="module")
def report() -> dict:
    return to_dict(sample_run())


@pytest.fixture(scope="module")
def html(report) -> str:
    return render_html(report)


def _minimal_run(**changes) -> AuditRun:
    tp = Touchpoint(id="f", channel="files", source="content/a.md", title="A", language="en",
                    blocks=(Block("Hello there.", "files.paragraph",
                                  Locator("content/a.md", line=3, column=1)),))
    run = AuditRun(
        id="r1", started_at=datetime(2024, 5, 1, 9, 0), finished_at=datetime(2024, 5, 1, 9, 1),
        baseline="baselines/acme", model="fake", tool_version="0.1.0",
        results=(TouchpointResult(tp, 91.234, "ok"),),
        channels=(ChannelSummary("files", 91.234, 1, 0, 0),), agents=(), errors=(),
        score=91.234,
    )
    return dataclasses.replace(run, **changes)


def _assert_score(value) -> None:
    assert value is None or (isinstance(value, float) and round(value, 1) == value)


# The JSON contract -----------------------------------------------------------------------

def test_to_dict_has_exactly_the_contract_keys(report):
    assert set(report) == {"schema", "schema_version", "run", "summary", "touchpoints", "agents",
                           "errors", "comparison", "context", "coverage"}
    assert report["schema"] == "brand-audit/report"
    assert report["schema_version"] == 1
    assert set(report["run"]) == RUN_KEYS
    assert all(isinstance(report["run"][k], str) for k in RUN_KEYS)
    assert set(report["summary"]) == SUMMARY_KEYS
    _assert_score(report["summary"]["score"])
    for key in ("touchpoints", "diverging", "warnings"):
        assert isinstance(report["summary"][key], int)
    assert set(report["summary"]["by_channel"]) == {"web", "social", "calls", "files"}
    for channel in report["summary"]["by_channel"].values():
        assert CHANNEL_KEYS <= set(channel) <= CHANNEL_KEYS | {"tone"}
        _assert_score(channel["score"])

    for tp in report["touchpoints"]:
        assert TOUCHPOINT_KEYS <= set(tp) <= TOUCHPOINT_KEYS | TOUCHPOINT_OPTIONAL
        assert isinstance(tp["locator"], dict) and tp["locator"]["source"]
        assert tp["status"] in STATUS_RANK
        _assert_score(tp["score"])
        for finding in tp["findings"]:
            assert FINDING_KEYS <= set(finding) <= FINDING_KEYS | FINDING_OPTIONAL
            assert finding["severity"] in ("info", "warning", "error")
            assert isinstance(finding["fingerprint"], str) and finding["fingerprint"]
            if "span" in finding:
                assert isinstance(finding["span"], list) and len(finding["span"]) == 2
            if "exemplar" in finding:
                assert {"text", "source"} <= set(finding["exemplar"]) <= {
                    "text", "source", "similarity"}
            if "locator" in finding:
                assert isinstance(finding["locator"], dict)
            if "block" in finding:
                block = tp["blocks"][finding["block"]]
                assert block["scored"] is True  # customer speech is never flagged
                start, end = finding["span"]
                assert 0 <= start < end <= len(block["text"])
        for block in tp.get("blocks", []):
            assert {"text", "scope", "scored", "locator"} <= set(block) <= {
                "text", "scope", "scored", "locator", "speaker"}

    for agent in report["agents"]:
        assert {"agent_id", "touchpoints", "score", "status"} <= set(agent) <= {
            "agent_id", "touchpoints", "score", "status", "calls", "turns", "top_findings"}
    for error in report["errors"]:
        assert {"source", "error"} <= set(error) <= {"source", "error", "channel"}
    assert set(report["comparison"]) == {"previous_run", "new", "resolved", "score_delta"}
    assert isinstance(report["comparison"]["new"], list)
    assert report["context"]["brand"] == "Northwind Coffee"
    assert set(report["coverage"]) == {"messages", "channels", "matrix", "versions"}
    assert [len(row) for row in report["coverage"]["matrix"]] == [4, 4, 4]
    json.dumps(report, allow_nan=False)  # plain JSON, no NaN, no objects


def test_optional_keys_are_omitted_not_null(report):
    by_id = {tp["id"]: tp for tp in report["touchpoints"]}
    assert by_id["calls:2024-05-02-0915"]["agent_id"] == "agent-17"
    assert "agent_id" not in by_id["web:pricing"]
    shouting = by_id["web:pricing"]["findings"][1]
    assert "exemplar" not in shouting and "locator" not in shouting
    deadline = by_id["social:telegram-128"]["findings"][1]
    assert "suggestion" not in deadline
    assert [("channel" in e) for e in report["errors"]] == [True, False]
    assert by_id["social:x-archive-0042"]["score"] is None  # null scores are allowed
    minimal = to_dict(_minimal_run())
    assert "comparison" not in minimal and "context" not in minimal
    assert all(v is not None for v in minimal["touchpoints"][0]["locator"].values())


def test_blocks_tone_position_and_agents_are_serialised(report):
    by_id = {tp["id"]: tp for tp in report["touchpoints"]}
    call = by_id["calls:2024-05-02-0915"]
    assert [b["scored"] for b in call["blocks"]] == [True, False, True, False, True, False]
    assert call["blocks"][1] == {
        "text": "Hi, I'd like to cancel my subscription, please.", "scope": "call.customer.turn",
        "scored": False, "speaker": "Customer",
        "locator": {"source": "transcripts/2024-05-02-0915.vtt", "start_ms": 9500,
                    "end_ms": 13000}}
    finding = call["findings"][0]
    assert finding["block"] == 4
    text = call["blocks"][4]["text"]
    assert text[finding["span"][0]:finding["span"][1]] == finding["evidence"]
    assert call["tone"]["respect"] == -0.8 and call["similarity"] == 0.358
    assert call["position"] == [0.74, 0.9]
    assert call["metadata"]["call_id"] == "2024-05-02-0915"
    assert "tone" not in by_id["social:x-archive-0042"]  # nothing to judge: left out
    assert "position" not in by_id["social:x-archive-0042"]
    assert set(report["summary"]["by_channel"]["calls"]["tone"]) == {
        "formality", "warmth", "confidence", "customer_focus", "respect"}
    agent = next(a for a in report["agents"] if a["agent_id"] == "agent-17")
    assert agent["calls"] == 1 and agent["turns"] == 3
    assert agent["top_findings"] == [{"rule": "respect.guilt", "count": 1}]
    minimal = to_dict(_minimal_run())
    assert "coverage" not in minimal and "tone" not in minimal["touchpoints"][0]
    assert minimal["touchpoints"][0]["blocks"][0]["scored"] is True


def test_values_are_rounded_and_times_are_utc(report):
    assert report["run"]["started_at"] == "2024-05-06T06:00:04Z"
    minimal = to_dict(_minimal_run())
    assert minimal["run"]["started_at"] == "2024-05-01T09:00:00Z"  # naive is taken as UTC
    assert minimal["summary"]["score"] == 91.2
    assert minimal["summary"]["by_channel"]["files"]["score"] == 91.2
    by_id = {tp["id"]: tp for tp in report["touchpoints"]}
    assert by_id["web:pricing"]["score"] == 41.3
    assert by_id["web:pricing"]["findings"][0]["exemplar"]["similarity"] == 0.742
    assert report["comparison"]["score_delta"] == -3.4
    nan = to_dict(_minimal_run(score=math.nan))
    assert nan["summary"]["score"] is None


def test_context_is_made_json_safe():
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    report = to_dict(_minimal_run(context={"brand": "Acme", "langs": ("en", "ru"),
                                           "built": when, "path": Path("b/acme")}))
    assert report["context"] == {"brand": "Acme", "langs": ["en", "ru"],
                                 "built": "2024-05-01T12:00:00Z", "path": "b/acme"}


def test_touchpoints_are_sorted_worst_first(report):
    keys = [(STATUS_RANK[tp["status"]], -math.inf if tp["score"] is None else tp["score"])
            for tp in report["touchpoints"]]
    assert keys == sorted(keys)
    assert [tp["status"] for tp in report["touchpoints"]][:3] == ["diverges"] * 3
    assert report["touchpoints"][0]["id"] == "social:telegram-128"
    # Within "warn" the unscored touchpoint comes first: a missing score is never a pass.
    warns = [tp for tp in report["touchpoints"] if tp["status"] == "warn"]
    assert warns[0]["score"] is None


def test_report_matches_golden_file(report):
    if UPDATE_GOLDEN:
        write_json(report, GOLDEN_JSON)
    assert report == json.loads(GOLDEN_JSON.read_text(encoding="utf-8")), (
        "report.json changed; if on purpose, rerun with BRAND_AUDIT_UPDATE_GOLDEN=1")


def test_json_round_trip(report, tmp_path):
    path = write_json(report, tmp_path / "out" / "report.json")
    text = path.read_text(encoding="utf-8")
    assert "Купите сейчас" in text  # UTF-8, not \u escapes
    assert text.startswith('{\n  "schema": "brand-audit/report"')
    assert load_json(path) == report
    assert render_html(load_json(path)) == render_html(report)


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "not valid JSON"),
    ('{"schema": "something/else", "schema_version": 1}', "not a brand-audit report"),
    ('{"summary": {}}', "not a brand-audit report"),
    ("[1, 2, 3]", "not a brand-audit report"),
    ('{"schema": "brand-audit/report", "schema_version": 99}', "newer"),
    ('{"schema": "brand-audit/report"}', "schema_version"),
])
def test_load_json_rejects_what_is_not_a_report(tmp_path, content, expected):
    path = tmp_path / "wrong.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_json(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_load_json_names_a_missing_file(tmp_path):
    with pytest.raises(InputError, match="missing.json"):
        load_json(tmp_path / "missing.json")


# HTML ----------------------------------------------------------------------------------

class _Resources(HTMLParser):
    """Every URL-bearing attribute, by tag."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.anchors: list[dict] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "a":
            self.anchors.append(attrs)
        for name in ("src", "href", "srcset", "poster", "data", "action", "formaction",
                     "background", "xlink:href"):
            if attrs.get(name):
                self.urls.append((tag, name, attrs[name]))


def test_html_requests_nothing_from_the_network(html, report):
    parser = _Resources()
    parser.feed(html)
    sources = {tp["source"] for tp in report["touchpoints"]}
    for tag, _attr, url in parser.urls:
        if tag == "a":
            assert url.startswith("#") or url in sources, url
        else:
            assert url.startswith("data:"), f"<{tag}> loads {url}"
    assert "iframe" not in parser.tags and "img" not in parser.tags
    for anchor in parser.anchors:
        if anchor["href"].startswith("http"):
            assert anchor.get("rel") == "noopener noreferrer"
    style = html[html.index("<style>"):html.index("</style>")]
    assert "url(" not in style and "@import" not in style
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""",
                         html.replace('href="https://', "A").replace('href="http://', "A"))


def test_collected_copy_cannot_break_out(html, report):
    assert "<script>window.__pwned" not in html
    assert "<img src=x" not in html
    assert html.count("<script") == html.count("</script>") == 3
    assert XSS_MARKER in html  # shown, as text
    assert "Launch notes &lt;/script&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    start = html.index('<script type="application/json" id="report-data">')
    payload = html[html.index(">", start) + 1:html.index("</script>", start)]
    assert not set("<>&") & set(payload)
    assert json.loads(payload) == report


def test_script_json_escapes_line_separators():
    text = script_json({"a": "x\u2028y\u2029z</script>&"})
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"a": "x\u2028y\u2029z</script>&"}


def test_only_web_sources_become_links():
    report = to_dict(_minimal_run())
    report["touchpoints"][0]["source"] = "javascript:alert(1)"
    report["touchpoints"][0]["locator"] = {"source": "javascript:alert(1)"}
    html = render_html(report)
    assert 'href="javascript' not in html
    assert "javascript:alert(1)" in html


def test_a_sites_navigation_and_footer_is_named_in_the_reports_language():
    report = to_dict(_minimal_run())
    tp = report["touchpoints"][0]
    tp.update(id="web:a.example#site-wide", channel="web", source="https://a.example/",
              title="Site-wide navigation and footer", status="diverges", score=10.0)
    page = render_html(report, lang="ru")
    urgent = page[page.index('id="urgent"'):page.index('id="channels"')]
    assert "Навигация и подвал сайта" in urgent and "Site-wide navigation" not in urgent
    # The touchpoint list is drawn by the page's script, which names it the same way.
    assert '"site_wide": "Навигация и подвал сайта"' in page or \
        '"site_wide":"Навигация и подвал сайта"' in page
    assert "titleOf(tp)" in page


def test_what_was_skipped_by_design_is_told_apart_from_failures():
    report = to_dict(_minimal_run())
    pdf = {"source": "https://a.example/price.pdf", "channel": "web",
           "error": "skipped: not HTML (a .pdf file; only web pages are audited, so it was "
                    "not requested); linked from https://a.example/"}
    gone = {"source": "https://a.example/old", "channel": "web",
            "error": "HTTP 404 Not Found; linked from https://a.example/"}
    report["errors"] = [pdf, gone]
    page = render_html(report)
    section = page[page.index('id="errors"'):]
    assert section.index("https://a.example/old") < section.index("https://a.example/price.pdf")
    assert section.count('class="skipped"') == 1
    assert "were skipped by design (PDFs, images" in section
    report["errors"] = [gone]
    assert "skipped by design" not in render_html(report)


def test_html_shows_the_report(html):
    assert "<h1>Northwind Coffee</h1>" in html
    assert "Needs attention" in html  # 61.4 with the sample's thresholds (75 / 55)
    for section in ('id="urgent"', 'id="channels"', 'id="touchpoints"', 'id="agents"',
                    'id="errors"', 'id="tone"', 'id="brand-map"', 'id="distribution"',
                    'id="trend"', 'id="coverage"'):
        assert section in html
    assert "Say what the offer is and let the reader decide" in html  # the urgent fix
    assert 'rel="noopener noreferrer"' in html
    assert "transcripts/2024-05-02-0915.vtt" in html and "at 01:23–01:28" in html
    assert 'lang="ru"' in html
    assert 'aria-sort="ascending"' in html
    assert '<label for="f-search"' in html
    assert "@media print" in html
    # Tone outside the brand's range is said in words, not only drawn.
    assert "Calls: colder than the brand (warmth +0.07; the brand aims for +0.35 to +0.85)." \
        in html
    assert "Spread across agents: 17.4 points" in html
    assert "67%" in html and "not said" in html  # coverage: numbers, not colour alone


def test_charts_escape_collected_copy_and_mark_divergence(html):
    svg = html[html.index('<svg class="chart map-chart"'):]
    svg = svg[:svg.index("</svg>")]
    assert "&lt;/script&gt;" in svg and "</script>" not in svg
    assert svg.count('class="ring"') == 3  # the three diverging touchpoints
    assert svg.count('data-open="') == 3 and svg.count('class="star"') == 5


def test_charts_are_left_out_without_their_data():
    html = render_html(to_dict(_minimal_run()))
    for section in ('id="tone"', 'id="brand-map"', 'id="trend"', 'id="coverage"',
                    'id="distribution"'):
        assert section not in html


def test_russian_interface_and_unknown_language(report):
    html = render_html(report, lang="ru")
    assert '<html lang="ru">' in html
    assert "Самое срочное" in html and "Все касания" in html
    assert "9 касаний" in html or "касаний проверено" in html
    with pytest.raises(BrandAuditError, match="choose one of: en, ru"):
        render_html(report, lang="de")


def test_footer_states_the_file_size(html):
    size = len(html.encode("utf-8"))
    assert f"this file {size / 1024:,.0f} KB." in html


def test_html_without_agents_errors_or_divergence():
    html = render_html(to_dict(_minimal_run()))
    assert 'id="agents"' not in html and 'id="errors"' not in html
    assert "No touchpoint diverges from the brand." in html
    assert "<h1>baselines/acme</h1>" in html  # no brand in context: the baseline names it


def test_html_renders_a_sparse_stored_report():
    """A stored report with only the contract's required keys still renders."""
    sparse = {"schema": "brand-audit/report", "schema_version": 1,
              "run": {"id": "r", "started_at": "2024-05-01T09:00:00Z",
                      "finished_at": "2024-05-01T09:00:30Z", "baseline": "b", "model": "m",
                      "tool_version": "0"},
              "summary": {"score": None, "touchpoints": 1, "diverging": 1,
                          "by_channel": {"web": {"score": None, "touchpoints": 1,
                                                 "diverging": 1}}},
              "touchpoints": [{"id": "t", "channel": "web", "source": "https://a.example/",
                               "locator": {"source": "https://a.example/"}, "title": "T",
                               "language": "en", "score": None, "status": "diverges",
                               "findings": [{"rule": "r", "severity": "error", "message": "M",
                                             "evidence": "E"}]}],
              "agents": [], "errors": []}
    html = render_html(sparse)
    assert "Not scored" in html
    assert "30 s" in html


# Text and Markdown ------------------------------------------------------------------------

LINE = re.compile(
    r"^(?P<where>\S.*?)  (?P<severity>error|warning|info)  (?P<rule>\S+)  (?P<message>.+)$")


def test_text_lines(report):
    text = render_text(report, color=False)
    lines = text.splitlines()
    assert "\x1b" not in text
    assert all(LINE.match(line) for line in lines[:-1]), lines
    assert "content/blog/launch.md:12:5  warning  terms.banned  " in text
    assert "exports/x-archive/tweets.js:212:5  info  scoring.too-short  " in text
    assert "transcripts/2024-05-02-0915.vtt @01:23  error  respect.guilt  " in text
    assert "https://t.me/northwind_ru/128  error  respect.pressure  " in text
    assert any(line.startswith("transcripts/2024-05-04-1130.json  error  collection  ")
               for line in lines)
    assert lines[-1].startswith("brand-audit: score 61.4, 9 touchpoints, 3 diverging")
    assert len(lines) == 8 + 2 + 1  # findings, collection errors, summary


def test_text_matches_golden_file(report):
    text = render_text(report, color=False)
    if UPDATE_GOLDEN:
        GOLDEN_TEXT.write_text(text, encoding="utf-8")
    assert text == GOLDEN_TEXT.read_text(encoding="utf-8")


def test_text_colour_only_on_request(report):
    coloured = render_text(report, color=True)
    assert "\x1b[31merror\x1b[0m" in coloured
    assert re.sub(r"\x1b\[\d+m", "", coloured) == render_text(report, color=False)


def test_text_strips_terminal_escapes_from_copy():
    report = to_dict(_minimal_run())
    report["touchpoints"][0]["findings"] = [{"rule": "r", "severity": "error",
                                             "message": "bad\x1b[2J\nnext", "evidence": "",
                                             "fingerprint": "f"}]
    text = render_text(report, color=False)
    assert "\x1b" not in text
    assert "content/a.md:3:1  error  r  bad[2J next" in text


def test_markdown_summary(report):
    md = render_markdown(report)
    assert md.startswith("## brand-audit: Northwind Coffee\n")
    assert "**Brand score: 61.4/100**" in md
    assert "| Channel | Score | Touchpoints | Diverging | To review |" in md
    assert "| web | 64.2 | 3 | 1 | 1 |" in md
    assert "`respect.pressure` in `https://t.me/northwind_ru/128`" in md
    assert "<script>" not in md and "&lt;" not in md.split("### Top findings")[0]
    assert "### Could not be collected (2)" in md


# The package API ---------------------------------------------------------------------------

def test_render_and_write_every_format(report, tmp_path):
    assert {"json", "html", "text", "markdown"} <= set(FORMATS)
    for fmt in ("json", "html", "text", "markdown"):
        path = write(report, fmt, tmp_path / f"report.{fmt}")
        assert path.read_text(encoding="utf-8") == render(report, fmt)
    assert json.loads(render(report, "json")) == report
    assert render(sample_run(), "text") == render_text(report, color=False)
    assert render(report, "html", lang="ru") == render_html(report, lang="ru")
    assert 'lang="ru"' in write(report, "html", tmp_path / "ru.html", lang="ru").read_text()


def test_unknown_format_is_a_usage_error(report):
    with pytest.raises(BrandAuditError, match="choose one of: json, html, text, markdown"):
        render(report, "pdf")


def test_reports_import_only_the_core_types():
    """Dependency direction: reports may use auditor.types and auditor.errors, nothing else."""
    root = Path(__file__).resolve().parent.parent / "reports"
    for module in root.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                name = node.module
            elif isinstance(node, ast.Import):
                name = node.names[0].name
            else:
                continue
            if name.split(".")[0] in ("auditor", "channels", "baselines"):
                assert name in ("auditor.types", "auditor.errors"), f"{module.name}: {name}"


def test_a_good_average_with_diverging_touchpoints_is_not_on_brand(report) -> None:
    assert any(tp["status"] == "diverges" for tp in report["touchpoints"])
    high = {**report, "summary": {**report["summary"], "score": 95.0}}
    header = render_html(high).split("</header>")[0]
    assert "Needs attention" in header and "verdict_ok" not in header
    calm = {**high, "touchpoints": [tp for tp in high["touchpoints"]
                                    if tp["status"] != "diverges"]}
    assert "On brand" in render_html(calm).split("</header>")[0]


def test_sample_reports_name_real_rules():
    # The README's screenshots come from these samples: a reader must be able to look up
    # every rule they show with `brand-audit explain` (the sample's "too short" note is the
    # one made-up rule: the engine marks such touchpoints "not scored" without a finding).
    from auditor.checks import rule_docs

    docs = rule_docs()
    for name in ("sample_run.json", "synthetic_copy.json"):
        text = (FIXTURES / name).read_text(encoding="utf-8")
        rules = set(re.findall(r'"rule": "([^"]+)"', text)) - {"scoring.too-short"}
        assert rules and {r for r in rules if r not in docs} == set(), name


def test_the_html_reports_own_marks_render_with_any_desktop_font():
    # The report uses the reader's system fonts: a full-width or wide character (such a "＝"
    # once marked an unchanged score) is a missing-glyph box without a CJK or emoji font,
    # as on a stock Linux desktop. Copy quoted from touchpoints is the reader's own affair.
    import unicodedata

    root = Path(__file__).resolve().parent.parent / "reports"
    files = [*(root / "templates").rglob("*.j2"), *(root / "templates").rglob("*.css"),
             *(root / "templates").rglob("*.js"), root / "html.py", root / "i18n.py"]
    wide = {(path.name, ch) for path in files for ch in path.read_text(encoding="utf-8")
            if unicodedata.east_asian_width(ch) in ("F", "W")}
    assert wide == set()


def test_trend_axis_tells_runs_of_one_day_apart():
    # Several runs a day (a CI check, a re-run) were all labelled "1 Dec".
    from reports.html import _run_labels
    from reports.i18n import Translator

    tr = Translator("en")
    daily = [datetime(2026, 11, d, 6, 0) for d in (28, 29, 30)]
    assert _run_labels(daily, tr) == [("28 Nov", ""), ("29 Nov", ""), ("30 Nov", "")]
    same_day = [datetime(2026, 12, 1, 9, 5), datetime(2026, 12, 1, 19, 52),
                datetime(2026, 12, 2, 6, 0), None]
    assert _run_labels(same_day, tr) == [("09:05", "1 Dec"), ("19:52", ""), ("06:00", "2 Dec"),
                                         ("", "")]
    # Re-runs a few seconds apart all read "18:54".
    same_minute = [datetime(2026, 12, 1, 18, 54, 5), datetime(2026, 12, 1, 18, 54, 40),
                   datetime(2026, 12, 1, 19, 48, 0)]
    assert _run_labels(same_minute, tr) == [("18:54:05", "1 Dec"), ("18:54:40", ""),
                                            ("19:48:00", "")]


def test_coverage_says_not_said_only_where_it_reads_0_percent():
    from reports.html import _coverage
    from reports.i18n import Translator

    coverage = {"messages": ["Clear prices."], "channels": ["social", "web"],
                "matrix": [[round(1 / 21, 3), 0.0]]}
    cells = _coverage(coverage, {}, Translator("en"))["rows"][0]["cells"]
    assert [(c["text"], c["gap"]) for c in cells] == [("5%", False), ("0%", True)]


def test_a_report_in_russian_says_findings_in_russian_and_keeps_the_english():
    from reports.html import localized

    finding = {"rule": "respect.pressure", "message": "Pressure to buy.", "suggestion": "Invite.",
               "translations": {"ru": {"message": "Давление на покупку.",
                                       "suggestion": "Приглашайте."}}}
    bare = {"rule": "vale.Acme.Jargon", "message": "Avoid jargon."}
    report = {"touchpoints": [{"id": "t", "findings": [finding, bare]}]}
    ru = localized(report, "ru")["touchpoints"][0]["findings"]
    assert (ru[0]["message"], ru[0]["suggestion"]) == ("Давление на покупку.", "Приглашайте.")
    assert ru[0]["translations"] == {"en": {"message": "Pressure to buy.",
                                            "suggestion": "Invite."}}
    assert ru[1] == bare  # nothing to say it in Russian with: the author's words stay
    assert localized(report, "en") is report
    assert report["touchpoints"][0]["findings"][0] is finding  # the caller's report is kept


@pytest.mark.parametrize("fmt", ["text", "markdown", "sarif", "junit", "github", "html"])
def test_every_format_but_json_says_findings_in_the_reports_language(report, fmt):
    import copy

    data = copy.deepcopy(report)
    tp = next(tp for tp in data["touchpoints"] if tp["findings"])
    finding = tp["findings"][0]
    finding["translations"] = {"ru": {"message": "Сообщение по-русски.",
                                      "suggestion": "Совет по-русски."}}
    assert "Сообщение по-русски." in render(data, fmt, lang="ru")
    english = render(data, fmt, lang="en").split('type="application/json"')[0]  # HTML: the
    assert "Сообщение по-русски." not in english  # page's report.json holds every language
    again = json.loads(render(data, "json", lang="ru"))  # JSON keeps every language
    kept = next(t for t in again["touchpoints"] if t["id"] == tp["id"])["findings"][0]
    assert kept["message"] == finding["message"] and kept["translations"] == \
        finding["translations"]


def test_agents_and_rule_filter_name_rules_by_their_titles(report):
    # The Agents table listed "respect.rudeness × 4": a support lead reads "Rude or
    # dismissive". Titles come from the run (context.rules); a rule without one keeps its id.
    titled = {**report, "context": {**report.get("context", {}), "rules": {
        "respect.guilt": {"en": "Guilt-tripping", "ru": "Давление на чувство вины"}}}}

    def agents_cell(page: str) -> str:
        return re.search(r'<td><span class="rule-count".*?</td>', page, re.S).group(0)

    def rule_options(page: str) -> str:
        return re.search(r'<select[^>]*data-filter="rule".*?</select>', page, re.S).group(0)

    english, russian = render_html(titled), render_html(titled, "ru")
    assert "Guilt-tripping × 1" in agents_cell(english)
    assert 'title="respect.guilt"' in agents_cell(english)
    assert "Давление на чувство вины × 1" in agents_cell(russian)
    assert re.search(r'value="respect.guilt"[^>]*>\s*Guilt-tripping', rule_options(english))
    untitled = render_html({**report, "context": {}})  # a run stored before titles
    assert "respect.guilt × 1" in agents_cell(untitled)


def test_every_rule_has_a_title_in_both_report_languages():
    from auditor.checks import rule_docs, rule_titles

    titles = rule_titles()
    families = {"respect", "terms", "vale"}  # documented as families; their findings are named
    assert set(rule_docs()) - families <= set(titles)
    assert all(t.get("en") and t.get("ru") for t in titles.values())


def test_counts_in_summaries_agree_with_their_number():
    # "1 touchpoints", "1 findings" and "touchpoint(s)" read as unfinished.
    report = to_dict(_minimal_run())
    line = render_text(report).splitlines()[-1]
    assert "1 touchpoint," in line and "0 findings (0 errors, 0 warnings" in line
    assert "**Brand score: 91.2/100** · 1 touchpoint," in render_markdown(report)


def test_brand_zone_is_where_most_approved_copy_sits():
    # One approved paragraph unlike the rest stretched the zone past the chart's edges.
    from reports.html import _brand_map
    from reports.i18n import Translator

    tps = [{"id": "t", "channel": "web", "status": "ok", "position": [0.0, 0.0]}]
    stars = [{"x": 0.01 * i, "y": 0.01 * (i % 3), "text": "a", "source": "s"} for i in range(20)]
    stars.append({"x": -2.0, "y": -2.0, "text": "outlier", "source": "s"})
    svg = str(_brand_map(tps, stars, {}, Translator("en"))["svg"])
    cx, cy, r = (float(v) for v in re.search(
        r'<circle class="zone" cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"', svg).groups())
    outlier = tuple(map(float, re.search(  # the star's top point
        r'aria-label="Approved copy: outlier \(s\)"><path d="M([\d.]+) ([\d.]+)', svg).groups()))
    height = float(re.search(r'viewBox="0 0 [\d.]+ ([\d.]+)"', svg).group(1))
    assert r < math.dist((cx, cy), outlier) / 2 and r < height / 4  # the outlier is outside


def test_the_brand_zone_is_never_cut_off_by_the_charts_edges():
    # Approved copy spread over the whole map (the demo's) drew a zone past the chart's bottom.
    from reports.html import _brand_map
    from reports.i18n import Translator

    tps = [{"id": "t", "channel": "web", "status": "ok", "position": [0.1, -0.2]}]
    stars = [{"x": math.cos(a) * (i % 7) / 6, "y": math.sin(a) * (i % 7) / 6 + 0.3,
              "text": "a", "source": "s"} for i, a in enumerate(range(0, 360, 3))]
    svg = str(_brand_map(tps, stars, {}, Translator("en"))["svg"])
    cx, cy, r = (float(v) for v in re.search(
        r'<circle class="zone" cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"', svg).groups())
    width, height = (float(v) for v in re.search(
        r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups())
    assert 0 <= cx - r and cx + r <= width and 0 <= cy - r and cy + r <= height
    assert r > min(width, height) / 3  # the zone still holds the spread-out copy


def test_every_language_brand_audit_identifies_has_a_name_in_both_interfaces():
    from auditor.text import LATIN_LANGUAGES
    from reports.i18n import EN, RU

    for code in ("ru", *LATIN_LANGUAGES):
        assert EN[f"lang_{code}"] and RU[f"lang_{code}"], code


def test_about_says_what_copy_in_other_languages_gets(report):
    assert "Other languages" not in render_html(report)  # the sample is English and Russian
    french = json.loads(json.dumps(report))
    french["touchpoints"][0]["language"] = "fr"
    html = render_html(french)
    assert "Other languages" in html and "French (fr), 1 touchpoint:" in html
    assert "written for English and Russian" in html
    assert "французский (fr), 1 касание:" in render_html(french, lang="ru")


def test_counts_read_as_sentences():
    from reports.i18n import counted

    assert counted(1, "touchpoint") == "1 touchpoint"
    assert counted(0, "cached vector") == "0 cached vectors"
    assert counted(12_500, "diverging touchpoint") == "12,500 diverging touchpoints"


@pytest.mark.parametrize(("middles", "widths"), [
    ([91, 202, 281], [66, 95, 70]),    # a band too narrow for its name, beside the last
    ([10, 20, 30], [28, 28, 28]),      # crowded at the start
    ([80, 90, 95], [28, 28, 28]),      # crowded at the end: pushed back from the edge
    ([50], [20]),
])
def test_chart_labels_are_set_apart_within_the_drawing(middles, widths):
    low, high = 0, 100 if max(middles) < 100 else 328
    placed = _apart(middles, widths, low, high)
    spans = [(m - w / 2, m + w / 2) for m, w in zip(placed, widths, strict=True)]
    assert all(a[1] + 6 <= b[0] + 1e-9 for a, b in zip(spans, spans[1:])), spans
    assert spans[0][0] >= low and spans[-1][1] <= high, spans
    # Nothing moves that had room where it was.
    for m, w, p in zip(middles, widths, placed, strict=True):
        if all(abs(m - q) >= (w + v) / 2 + 6 for q, v in zip(middles, widths, strict=True)
               if q != m) and low <= m - w / 2 and m + w / 2 <= high:
            assert p == m
