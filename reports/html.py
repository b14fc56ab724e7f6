"""The HTML report: one self-contained file, a view of the ``report.json`` dict.

Like Lighthouse's report, everything it needs is inside the file: CSS and JS are inlined from
``templates/assets/``, the charts are inline SVG drawn here in Python, the report JSON is
embedded (escaped) for the touchpoints table and for "Download report.json", and nothing is
fetched from any network, so it opens from disk, offline, and prints.

The touchpoints table is built by the page's script from the embedded JSON, a page of rows at a
time, and a row's copy and findings only when it is opened, so a run of 10,000 touchpoints
opens in about a second. Everything else (overview, charts, agents, errors) is static HTML.

Every collected text (titles, copy, sources, even agent ids) is untrusted. Jinja2 autoescapes
all of it, the SVG here goes through ``escape``; the embedded JSON escapes ``<``, ``>`` and
``&`` so ``</script>`` in copy cannot end the script element; the JS only ever writes text with
``textContent``.

Optional keys the view uses, each drawn only when present (all from ``AuditRun.context`` unless
noted): ``brand`` (the name in the header; default ``run.baseline``), ``thresholds``
(``{"ok": 70, "warn": 50}``, the bands for run and channel scores), ``tone_targets``
(``{dimension: {"target", "tolerance"}}``), ``exemplar_map`` (``[{"x", "y", "text",
"source"}]``), ``trend`` (``[{"run_id", "started_at", "score", "by_channel"}]``, oldest first),
``agent_spread``, ``rules`` (``{rule: {"en", "ru"}}``, the titles the Agents table and the
rule filter show; a rule without one shows its id); and from the report itself
``touchpoints[].tone/position/blocks``, ``summary.by_channel[C].tone``, ``coverage`` and
``agents[].calls/turns/top_findings``.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from auditor.types import skipped_by_design

from .i18n import Translator, localized, messages_for_js, translator
from .json_report import STATUS_ORDER

TEMPLATES = Path(__file__).parent / "templates"
ASSETS = TEMPLATES / "assets"

#: The same bands the scorer uses for a touchpoint's score (auditor.scoring).
DEFAULT_THRESHOLDS = {"ok": 70.0, "warn": 50.0}
#: How many findings the "Most urgent" list shows.
URGENT_LIMIT = 5
#: Collection errors listed in the page; the rest stay in the embedded report.json.
ERRORS_LIMIT = 200
#: Points drawn on the brand map and per channel in the score distribution: enough to see
#: the shape, few enough that a 10,000-touchpoint report stays light.
MAP_LIMIT = 1500
MAP_FOCUSABLE = 300
STRIP_LIMIT = 250
#: Icons for each status and severity, so colour is never the only signal.
STATUS_ICON = {"ok": "✓", "warn": "!", "diverges": "✕", None: "?"}
SEVERITY_ICON = {"error": "✕", "warning": "!", "info": "i"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
#: Tone dimensions in the order the chart lists them; others the engine adds follow.
DIMENSIONS = ("formality", "warmth", "confidence", "customer_focus", "respect")
#: Each channel's colour (Okabe-Ito, safe for colour-blind readers) and marker shape: the shape
#: alone tells channels apart, in print and for anyone who does not see the colour.
CHANNEL_STYLE = {
    "web": ("#0072b2", "circle"), "social": ("#c77c00", "square"),
    "calls": ("#009e73", "triangle"), "chat": ("#cc79a7", "diamond"),
    "email": ("#3a9bd6", "down"), "sms": ("#d55e00", "cross"), "files": ("#6a51a3", "hexagon"),
}
_SPARE_STYLES = (("#555555", "circle"), ("#8c6d31", "square"), ("#7b4173", "triangle"))
#: The placeholder swapped for the file's own size once it is rendered.
_SIZE_TOKEN = "\x00size\x00"


def render_html(report: dict, lang: str = "en") -> str:
    """The report as one self-contained HTML page, its interface in ``lang`` (``en``, ``ru``)."""
    tr = translator(lang)
    report = localized(report, tr.lang)
    view = _view(report, tr)
    page = _environment().get_template("report.html.j2").render(
        report=report,
        view=view,
        t=tr.t, tn=tr.tn, num=tr.number, lang=tr.lang,
        css=Markup(_asset("report.css", "</style")),
        js=Markup(_asset("report.js", "</script")),
        favicon=_favicon(),
        payload=Markup(script_json(report)),
        messages=Markup(script_json(messages_for_js(lang))),
        size_token=_SIZE_TOKEN,
    )
    return _with_size(page, tr)


def script_json(report: dict) -> str:
    """``report`` as JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` only occur inside JSON strings, where ``\\u003c`` means the same
    character, so ``</script>`` or ``<!--`` in collected copy cannot end the element. U+2028
    and U+2029 are escaped too, for scripts that eval the text as JavaScript.
    """
    text = json.dumps(report, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def _with_size(page: str, tr: Translator) -> str:
    """Put the file's own size (UTF-8 bytes) in the footer, counting the size text itself."""
    base = len(page.encode("utf-8")) - len(_SIZE_TOKEN)
    label = tr.size(base)
    for _ in range(3):  # the label's own length can move the total across a rounding edge
        total = base + len(label.encode("utf-8"))
        if tr.size(total) == label:
            break
        label = tr.size(total)
    return page.replace(_SIZE_TOKEN, label, 1)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # for every template, whatever its extension
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["score"] = _format_score
    return env


def _asset(name: str, forbidden: str) -> str:
    text = (ASSETS / name).read_text(encoding="utf-8")
    # Our own files, but a stray closing tag would still end the inline element early.
    if forbidden in text.lower():
        raise ValueError(f"{ASSETS / name} must not contain {forbidden!r}")
    return text


@cache
def _favicon() -> str:
    svg = (ASSETS / "favicon.svg").read_text(encoding="utf-8").strip()
    return "data:image/svg+xml," + quote(svg)


# The view: what the template shows, worked out from the report dict once, so the template
# stays a layout and stored reports with missing optional keys still render.

def _view(report: dict, tr: Translator) -> dict:
    run = report.get("run", {})
    summary = report.get("summary", {})
    context = report.get("context") or {}
    thresholds = _thresholds(context.get("thresholds"))
    rule_names = _rule_names(context.get("rules"), tr)
    touchpoints = [tp for tp in report.get("touchpoints", []) if isinstance(tp, dict)]
    channels = list(dict.fromkeys(
        [*summary.get("by_channel", {}), *(tp.get("channel", "") for tp in touchpoints)]))
    styles = _channel_styles(channels)
    counts = Counter(tp.get("status") for tp in touchpoints)
    n_findings = sum(len(tp.get("findings", ())) for tp in touchpoints)
    started = _parse_time(run.get("started_at"))
    finished = _parse_time(run.get("finished_at"))
    score = summary.get("score")
    status = _band(score, thresholds)
    if status == "ok" and counts.get("diverges"):
        # A good average must not read "on brand" while touchpoints diverge.
        status = "warn"
    trend = _trend_runs(context.get("trend"))
    comparison = _comparison_view(report.get("comparison"), tr)
    urgent = _urgent(touchpoints, tr)
    errors = _errors(report.get("errors", []))
    filters = _facets(touchpoints, rule_names, tr)
    return {
        "brand": str(context.get("brand") or run.get("baseline") or "Brand audit"),
        "run_id": run.get("id", ""),
        "date": tr.date(started) + (" UTC" if started and started.utcoffset() is not None
                                    and not started.utcoffset() else "") if started else "",
        "duration": _format_duration(started, finished),
        "baseline": run.get("baseline", ""),
        "model": run.get("model", ""),
        "tool_version": run.get("tool_version", ""),
        "score": score,
        "score_dash": _gauge_dash(score),
        "status": status,
        "status_icon": STATUS_ICON,
        "severity_icon": SEVERITY_ICON,
        "thresholds": thresholds,
        "counts": {
            "touchpoints": summary.get("touchpoints", len(touchpoints)),
            "diverging": summary.get("diverging", counts["diverges"]),
            "warnings": summary.get("warnings", counts["warn"]),
            "ok": counts["ok"],
            "errors": len(errors),
            "findings": n_findings,
        },
        "channels": _channel_rows(summary.get("by_channel", {}), touchpoints, thresholds,
                                  trend, styles, tr),
        "urgent": urgent,
        "more_urgent": max(counts["diverges"] - len({u["tp_id"] for u in urgent}), 0),
        "comparison": comparison,
        "charts": {
            "tone": _for_any_screen(_tone_chart, summary.get("by_channel", {}),
                                    context.get("tone_targets"), styles, tr),
            "map": _brand_map(touchpoints, context.get("exemplar_map"), styles, tr),
            "distribution": _for_any_screen(_distribution, touchpoints, channels, thresholds,
                                            tr),
            "trend": _for_any_screen(_trend_chart, trend, styles, thresholds, tr),
            "coverage": _coverage(report.get("coverage"), styles, tr),
        },
        "legend": [{"channel": c, "label": _channel_label(c, tr),
                    "marker": Markup(_marker_svg(c, styles, 12))} for c in channels],
        "filters": filters,
        "other_languages": _other_languages(filters["languages"], tr),
        "agents": _agents(report.get("agents", []), score, context.get("agent_spread"), tr,
                          rule_names),
        "errors": errors[:ERRORS_LIMIT],
        "more_errors": max(len(errors) - ERRORS_LIMIT, 0),
        "skipped": any(e["skipped"] for e in errors),
        "channel_label": lambda c: _channel_label(c, tr),
    }


def _channel_label(channel: str, tr: Translator) -> str:
    """``calls`` -> ``Calls`` / ``Звонки``: the name a reviewer knows a channel by."""
    try:
        return tr.t(f"channel_{channel}")
    except KeyError:
        return channel.replace("_", " ").capitalize()


def _channel_styles(channels: list[str]) -> dict[str, tuple[str, str]]:
    styles, spare = {}, 0
    for channel in channels:
        if channel in CHANNEL_STYLE:
            styles[channel] = CHANNEL_STYLE[channel]
        else:
            styles[channel] = _SPARE_STYLES[spare % len(_SPARE_STYLES)]
            spare += 1
    return styles


def _title(tp: dict, tr: Translator) -> str:
    """A touchpoint's title as the report shows it: a site's navigation and footer
    (``web:<host>#site-wide``) named in the report's language, others as collected."""
    if str(tp.get("id", "")).endswith("#site-wide"):
        return tr.t("site_wide")
    return tp.get("title") or _source_label(tp.get("source", ""))


def _errors(errors: list) -> list[dict]:
    """The collection errors, failures first, then what was skipped by design (a PDF or an
    image on a crawled site: ``skipped: not HTML``), each marked ``skipped`` or not."""
    marked = [{**e, "skipped": skipped_by_design(str(e.get("error", "")))}
              for e in errors if isinstance(e, dict)]
    return sorted(marked, key=lambda e: e["skipped"])


def _urgent(touchpoints: list[dict], tr: Translator) -> list[dict]:
    """The worst findings of the worst touchpoints, each with where and what to do."""
    items = []
    for tp in sorted((tp for tp in touchpoints if tp.get("status") == "diverges"),
                     key=_worst_first):
        findings = sorted((f for f in tp.get("findings", []) if isinstance(f, dict)),
                          key=lambda f: SEVERITY_ORDER.get(f.get("severity"), 9))
        finding = findings[0] if findings else None
        locator = (finding or {}).get("locator") or tp.get("locator") or {}
        source = locator.get("source") or tp.get("source", "")
        items.append({
            "tp_id": tp.get("id", ""),
            "title": _title(tp, tr),
            "channel": tp.get("channel", ""),
            "score": tp.get("score"),
            "agent_id": tp.get("agent_id"),
            "language": tp.get("language") or "",
            "finding": finding,
            "more_findings": max(len(findings) - 1, 0),
            "href": _safe_href(source),
            "source_label": _source_label(source),
            "position": _position(locator, tr),
        })
        if len(items) == URGENT_LIMIT:
            break
    return items


def _channel_rows(by_channel: dict, touchpoints: list[dict], thresholds: dict,
                  trend: list[dict], styles: dict, tr: Translator) -> list[dict]:
    previous = trend[-2]["by_channel"] if len(trend) >= 2 else {}
    rows = []
    for name, channel in by_channel.items():
        mine = [tp for tp in touchpoints if tp.get("channel") == name]
        total = channel.get("touchpoints", len(mine))
        diverging = channel.get("diverging", sum(tp.get("status") == "diverges" for tp in mine))
        warnings = channel.get("warnings", sum(tp.get("status") == "warn" for tp in mine))
        ok = max(total - diverging - warnings, 0)
        score = channel.get("score")
        before = previous.get(name)
        delta = (score - before if isinstance(score, (int, float))
                 and isinstance(before, (int, float)) else None)
        rows.append({
            "channel": name, "label": _channel_label(name, tr), "score": score,
            "status": _band(score, thresholds), "touchpoints": total, "diverging": diverging,
            "warnings": warnings, "ok": ok,
            "delta": delta, "delta_text": tr.signed(delta) if delta is not None else "",
            "marker": Markup(_marker_svg(name, styles, 12)),
            "mix": [(s, n, 100 * n / total if total else 0)
                    for s, n in (("ok", ok), ("warn", warnings), ("diverges", diverging))],
        })
    return sorted(rows, key=lambda r: (r["score"] is not None, r["score"] or 0))


def _comparison_view(comparison: dict | None, tr: Translator) -> dict | None:
    if not comparison:
        return None
    delta = comparison.get("score_delta")
    return {
        "previous_run": comparison.get("previous_run", ""),
        "new": len(comparison.get("new", ())),
        "resolved": len(comparison.get("resolved", ())),
        "delta": delta,
        "delta_text": tr.signed(delta) if isinstance(delta, (int, float)) else "",
        "direction": "none" if not delta else ("up" if delta > 0 else "down"),
    }


def _rule_names(titles: object, tr: Translator) -> Callable[[str], str]:
    """A rule's name for people in the report's language, from ``context.rules`` (``{rule:
    {"en", "ru"}}``); a rule it does not name (a brand's Vale rule, an older run) keeps its
    id."""
    titles = titles if isinstance(titles, dict) else {}

    def name(rule: str) -> str:
        title = titles.get(rule)
        if not isinstance(title, dict):
            return rule
        return str(title.get(tr.lang) or title.get("en") or rule)
    return name


def _facets(touchpoints: list[dict], rule_name: Callable[[str], str], tr: Translator) -> dict:
    """The values each filter offers, most frequent first, with their counts."""
    rules: Counter = Counter()
    for tp in touchpoints:
        rules.update({f.get("rule", "") for f in tp.get("findings", []) if isinstance(f, dict)})
    agents = Counter(tp["agent_id"] for tp in touchpoints if tp.get("agent_id"))
    languages = Counter(tp.get("language") or "" for tp in touchpoints)
    channels = Counter(tp.get("channel", "") for tp in touchpoints)

    def lang_label(code: str) -> str:
        try:
            return f"{tr.t(f'lang_{code}')} ({code})"
        except KeyError:
            return code or "—"

    return {
        "channels": [(c, _channel_label(c, tr), n) for c, n in channels.most_common()],
        "rules": [(r, rule_name(r), n)
                  for r, n in sorted(rules.items(), key=lambda i: (-i[1], i[0]))],
        "agents": [(a, a, n) for a, n in sorted(agents.items())],
        "languages": [(c, lang_label(c), n) for c, n in languages.most_common()],
    }


#: The languages the rule checks' phrase lists and the tone anchors are written in.
PHRASE_LANGUAGES = ("en", "ru")


def _other_languages(languages: list[tuple[str, str, int]], tr: Translator) -> str:
    """"French (fr), 12 touchpoints; German (de), 1 touchpoint": the run's copy in languages
    the phrase checks were not written for ("" when there is none), for the About section."""
    return "; ".join(f"{label}, {tr.tn('n_touchpoints', n)}" for code, label, n in languages
                     if code and code not in PHRASE_LANGUAGES)


def _agents(agents: list, brand_score: object, spread: object, tr: Translator,
            rule_name: Callable[[str], str]) -> dict | None:
    rows = [a for a in agents if isinstance(a, dict)]
    if not rows:
        return None
    rows = sorted(rows, key=_worst_first)
    scores = [a["score"] for a in rows if isinstance(a.get("score"), (int, float))]
    if not isinstance(spread, (int, float)) and len(scores) > 1:
        spread = statistics.pstdev(scores)
    scored = [a for a in rows if isinstance(a.get("score"), (int, float))]
    low = min(scored, key=lambda a: a["score"]) if scored else None
    high = max(scored, key=lambda a: a["score"]) if scored else None
    return {
        "rows": [{**a,
                  "status": a.get("status") if a.get("status") in STATUS_ORDER else None,
                  "top_findings": [{**f, "title": rule_name(str(f.get("rule", "")))}
                                   for f in a.get("top_findings") or [] if isinstance(f, dict)],
                  "vs_brand": tr.signed(a["score"] - brand_score)
                  if isinstance(a.get("score"), (int, float))
                  and isinstance(brand_score, (int, float)) else ""}
                 for a in rows],
        "has_calls": any("calls" in a for a in rows),
        "has_top": any(a.get("top_findings") for a in rows),
        "spread": tr.number(spread, 1) if isinstance(spread, (int, float)) else None,
        "low": low, "high": high,
    }


def _trend_runs(value: object) -> list[dict]:
    runs = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            runs.append({"run_id": str(item.get("run_id", "")),
                         "started_at": _parse_time(item.get("started_at")),
                         "score": item.get("score") if isinstance(item.get("score"),
                                                                  (int, float)) else None,
                         "by_channel": {k: v for k, v in (item.get("by_channel") or {}).items()
                                        if isinstance(v, (int, float))}})
    return runs


def _worst_first(item: dict) -> tuple:
    score = item.get("score")
    return (STATUS_ORDER.get(item.get("status"), -1),
            score if isinstance(score, (int, float)) else float("-inf"))


def _thresholds(value: object) -> dict:
    thresholds = dict(DEFAULT_THRESHOLDS)
    if isinstance(value, dict):
        for key in thresholds:
            if isinstance(value.get(key), (int, float)):
                thresholds[key] = float(value[key])
    return thresholds


def _band(score: float | None, thresholds: dict) -> str | None:
    if not isinstance(score, (int, float)):
        return None
    if score >= thresholds["ok"]:
        return "ok"
    return "warn" if score >= thresholds["warn"] else "diverges"


def _format_score(score: object) -> str:
    return f"{score:.0f}" if isinstance(score, (int, float)) else "—"


def _gauge_dash(score: object) -> str:
    fraction = min(max(score, 0), 100) / 100 if isinstance(score, (int, float)) else 0
    return f"{fraction * 100:.1f} 100"


def _safe_href(source: str) -> str | None:
    """Only http(s) sources become links; anything else (``javascript:``, paths) stays text."""
    try:
        parts = urlsplit(source)
    except ValueError:
        return None
    return source if parts.scheme in ("http", "https") and parts.netloc else None


def _source_label(source: str) -> str:
    if _safe_href(source):
        label = source.split("://", 1)[1]
        return label.removeprefix("www.").rstrip("/") or source
    return source


def _position(locator: dict, tr: Translator) -> str:
    """Where in the source, for people: ``line 12, column 5``, ``01:23–01:28``, a CSS path."""
    js = messages_for_js(tr.lang)
    parts = []
    if locator.get("line") is not None:
        parts.append(js["line"].format(line=locator["line"]))
        if locator.get("column") is not None:
            parts.append(js["column"].format(column=locator["column"]))
    if locator.get("start_ms") is not None:
        span = _clock(locator["start_ms"])
        if locator.get("end_ms") is not None:
            span += f"–{_clock(locator['end_ms'])}"
        parts.append(js["at"].format(time=span))
    if locator.get("css"):
        parts.append(str(locator["css"]))
    return ", ".join(parts)


def _clock(ms: object) -> str:
    seconds = int(ms) // 1000 if isinstance(ms, (int, float)) else 0
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _format_duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    seconds = max(int((end - start).total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


# Charts: inline SVG strings. Every text that reaches one goes through ``escape``; numbers are
# formatted here. Each chart returns None when the report has no data for it.

#: Width, in drawing units, of a chart's drawing for a phone: its text (11.5-13 units) shows
#: at 10-12 pixels on a 320-390-pixel phone, where the drawing for a computer screen (500-760
#: units wide) showed it at 5-8.
PHONE_DRAWING = 360


def _for_any_screen(draw: Callable[..., dict | None], *args: object) -> dict | None:
    """A chart drawn twice, for a wide screen and for a phone (``narrow=True``, about
    ``PHONE_DRAWING`` units wide), with both in ``svg``: the stylesheet shows the one that
    fits (``.chart.wide`` / ``.chart.narrow``), so its text reads at its own size on either.
    An SVG scales as a whole, text included: one drawing cannot be readable at 390 pixels
    and not oversized at 1,280."""
    wide = draw(*args, narrow=False)
    if wide is None:
        return None
    phone = draw(*args, narrow=True)
    return {**wide, "svg": Markup(wide["svg"] + phone["svg"])}


def _chart_svg(kind: str, narrow: bool, width: float, height: float, title: str,
               parts: list[str]) -> Markup:
    screen = "narrow" if narrow else "wide"
    return Markup(f'<svg class="chart {kind}-chart {screen}" viewBox="0 0 {_f(width)} '
                  f'{_f(height)}" role="img" aria-labelledby="{title}">{"".join(parts)}</svg>')


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _marker_d(shape: str, x: float, y: float, r: float) -> str:
    """An SVG path for a marker ``shape`` of radius ``r`` centred on ``x, y``."""
    if shape == "square":
        q = r * 0.85
        return f"M{_f(x - q)} {_f(y - q)}h{_f(2 * q)}v{_f(2 * q)}h{_f(-2 * q)}z"
    if shape == "triangle":
        return (f"M{_f(x)} {_f(y - r * 1.1)}L{_f(x + r)} {_f(y + r * 0.75)}"
                f"L{_f(x - r)} {_f(y + r * 0.75)}z")
    if shape == "down":
        return (f"M{_f(x)} {_f(y + r * 1.1)}L{_f(x + r)} {_f(y - r * 0.75)}"
                f"L{_f(x - r)} {_f(y - r * 0.75)}z")
    if shape == "diamond":
        return f"M{_f(x)} {_f(y - r * 1.2)}L{_f(x + r)} {_f(y)}L{_f(x)} {_f(y + r * 1.2)}" \
               f"L{_f(x - r)} {_f(y)}z"
    if shape == "cross":
        w = r * 0.4
        return (f"M{_f(x - w)} {_f(y - r)}h{_f(2 * w)}v{_f(r - w)}h{_f(r - w)}v{_f(2 * w)}"
                f"h{_f(w - r)}v{_f(r - w)}h{_f(-2 * w)}v{_f(w - r)}h{_f(w - r)}v{_f(-2 * w)}"
                f"h{_f(r - w)}z")
    if shape == "hexagon":
        points = [(x + r * math.cos(math.pi / 3 * k), y + r * math.sin(math.pi / 3 * k))
                  for k in range(6)]
        return "M" + "L".join(f"{_f(px)} {_f(py)}" for px, py in points) + "z"
    if shape == "star":
        points = []
        for k in range(10):
            radius = r * (1.25 if k % 2 == 0 else 0.55)
            angle = -math.pi / 2 + math.pi / 5 * k
            points.append((x + radius * math.cos(angle), y + radius * math.sin(angle)))
        return "M" + "L".join(f"{_f(px)} {_f(py)}" for px, py in points) + "z"
    return (f"M{_f(x - r)} {_f(y)}a{_f(r)} {_f(r)} 0 1 0 {_f(2 * r)} 0"
            f"a{_f(r)} {_f(r)} 0 1 0 {_f(-2 * r)} 0")


def _marker_svg(channel: str, styles: dict, size: int) -> str:
    colour, shape = styles.get(channel, _SPARE_STYLES[0])
    half = size / 2
    return (f'<svg class="marker" width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
            f'aria-hidden="true" focusable="false">'
            f'<path d="{_marker_d(shape, half, half, half * 0.8)}"'
            f' fill="{colour}"/></svg>')


def _tone_chart(by_channel: dict, targets: object, styles: dict, tr: Translator,
                narrow: bool = False) -> dict | None:
    tones = {c: s["tone"] for c, s in by_channel.items()
             if isinstance(s, dict) and isinstance(s.get("tone"), dict) and s["tone"]}
    if not tones:
        return None
    targets = targets if isinstance(targets, dict) else {}
    present = {d for tone in tones.values() for d in tone}
    dims = [d for d in DIMENSIONS if d in present] + sorted(present - set(DIMENSIONS))
    # Each scale's poles beside its ends; on a phone, under them.
    width, left, right, row_h, top = (PHONE_DRAWING, 14, 14, 84, 4) if narrow \
        else (760, 118, 118, 60, 26)
    plot_w = width - left - right
    height = top + row_h * len(dims) + (4 if narrow else 0)

    def x(v: float) -> float:
        return left + (max(-1.0, min(1.0, v)) + 1) / 2 * plot_w

    parts, outside = [], []
    channels = list(tones)
    for i, dim in enumerate(dims):
        y = top + row_h * i + row_h / 2 + 6
        label = _dim_label(dim, tr)
        poles = _poles(dim, tr)
        parts.append(f'<text class="dim" x="{left}" y="{_f(y - 19)}">{escape(label)}</text>')
        parts.append(f'<line class="axis" x1="{left}" x2="{left + plot_w}" y1="{_f(y)}" '
                     f'y2="{_f(y)}"/>')
        parts.append(f'<line class="mid" x1="{_f(x(0))}" x2="{_f(x(0))}" y1="{_f(y - 14)}" '
                     f'y2="{_f(y + 14)}"/>')
        if narrow:
            parts.append(f'<text class="pole" x="{left}" y="{_f(y + 32)}">'
                         f'{escape(poles[0])}</text>')
            parts.append(f'<text class="pole" x="{left + plot_w}" y="{_f(y + 32)}" '
                         f'text-anchor="end">{escape(poles[1])}</text>')
        else:
            parts.append(f'<text class="pole" x="{left - 8}" y="{_f(y + 4)}" '
                         f'text-anchor="end">{escape(poles[0])}</text>')
            parts.append(f'<text class="pole" x="{left + plot_w + 8}" y="{_f(y + 4)}">'
                         f'{escape(poles[1])}</text>')
        band = _target(targets.get(dim))
        if band:
            low, high = band
            parts.append(f'<rect class="band" x="{_f(x(low))}" y="{_f(y - 15)}" '
                         f'width="{_f(x(high) - x(low))}" height="30" rx="4"/>')
            parts.append(f'<line class="target" x1="{_f(x((low + high) / 2))}" '
                         f'x2="{_f(x((low + high) / 2))}" y1="{_f(y - 15)}" y2="{_f(y + 15)}"/>')
        for k, channel in enumerate(channels):
            value = tones[channel].get(dim)
            if not isinstance(value, (int, float)):
                continue
            colour, shape = styles.get(channel, _SPARE_STYLES[0])
            offset = (k - (len(channels) - 1) / 2) * 5  # spread channels that overlap
            is_out = bool(band) and not band[0] <= value <= band[1]
            name = _channel_label(channel, tr)
            if band:
                text = tr.t("tone_point_target", channel=name, dimension=label.lower(),
                            value=tr.signed(value, 2), low=tr.signed(band[0], 2),
                            high=tr.signed(band[1], 2))
            else:
                text = tr.t("tone_point", channel=name, dimension=label.lower(),
                            value=tr.signed(value, 2))
            if is_out:
                side = 0 if value < band[0] else 1
                outside.append((abs(value - (band[0] if side == 0 else band[1])), tr.t(
                    "tone_reads", channel=name, pole=tr.words(f"more_{dim}")[side]
                    if f"more_{dim}" in messages_for_js(tr.lang) else poles[side].lower(),
                    dimension=label.lower(), value=tr.signed(value, 2),
                    low=tr.signed(band[0], 2), high=tr.signed(band[1], 2))))
            r = 7.5 if is_out else 5.5
            cls = "pt out" if is_out else "pt"
            parts.append(f'<path class="{cls}" d="{_marker_d(shape, x(value), y + offset, r)}" '
                         f'fill="{colour}"><title>{escape(text)}</title></path>')
    has_targets = any(_target(targets.get(d)) for d in dims)
    return {"svg": _chart_svg("tone", narrow, width, height, "tone-title", parts),
            "outside": [text for _, text in sorted(outside, reverse=True)],
            "has_targets": has_targets}


def _dim_label(dim: str, tr: Translator) -> str:
    try:
        return tr.t(f"dim_{dim}")
    except KeyError:
        return dim.replace("_", " ").capitalize()


def _poles(dim: str, tr: Translator) -> tuple[str, str]:
    try:
        poles = tr.words(f"pole_{dim}")
        return poles[0], poles[1]
    except (KeyError, IndexError):
        return "−1", "+1"


def _target(value: object) -> tuple[float, float] | None:
    if not isinstance(value, dict) or not isinstance(value.get("target"), (int, float)):
        return None
    tolerance = value.get("tolerance")
    tolerance = tolerance if isinstance(tolerance, (int, float)) else 0.0
    return (max(-1.0, value["target"] - tolerance), min(1.0, value["target"] + tolerance))


def _brand_map(touchpoints: list[dict], exemplars: object, styles: dict,
               tr: Translator) -> dict | None:
    placed = [tp for tp in touchpoints if _point(tp.get("position"))]
    if not placed:
        return None
    stars = [e for e in exemplars if isinstance(e, dict) and isinstance(e.get("x"), (int, float))
             and isinstance(e.get("y"), (int, float))] if isinstance(exemplars, list) else []
    diverging = [tp for tp in placed if tp.get("status") == "diverges"]
    rest = [tp for tp in placed if tp.get("status") != "diverges"]
    room = max(MAP_LIMIT - len(diverging), 0)
    step = max(len(rest) / room, 1.0) if room else math.inf
    sample = [rest[int(k * step)] for k in range(min(room, len(rest)))] if room else []
    shown = sample + diverging[:MAP_LIMIT]  # diverging last: drawn on top

    xs = [_point(tp["position"])[0] for tp in shown] + [e["x"] for e in stars]
    ys = [_point(tp["position"])[1] for tp in shown] + [e["y"] for e in stars]
    zone = None
    if stars:
        # Where most of the approved copy sits: one approved paragraph unlike the rest would
        # otherwise stretch the zone past the chart's edges. The chart is scaled to hold the
        # whole zone, so no edge of it is cut off.
        centre = (sum(e["x"] for e in stars) / len(stars),
                  sum(e["y"] for e in stars) / len(stars))
        distances = sorted(math.dist(centre, (e["x"], e["y"])) for e in stars)
        zone = (centre, distances[int(0.95 * (len(distances) - 1))])
        xs += [centre[0] - zone[1], centre[0] + zone[1]]
        ys += [centre[1] - zone[1], centre[1] + zone[1]]
    # Square, as the places are (one scale for both axes): drawn 760 by 440 for half a page,
    # it left the sides empty and shrank the points to 3-pixel rings on a phone.
    width, height, pad = 460, 460, 26
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span = max(x1 - x0, y1 - y0, 1e-9)  # one scale for both axes: distance means the same
    scale = min(width - 2 * pad, height - 2 * pad) / span

    def px(x: float, y: float) -> tuple[float, float]:
        cx = width / 2 + (x - (x0 + x1) / 2) * scale
        cy = height / 2 - (y - (y0 + y1) / 2) * scale
        return cx, cy

    parts = []
    if zone is not None:
        centre = px(*zone[0])
        radius = max(zone[1] * scale + pad - 6, 40)  # 6 px inside the chart's edge
        parts.append(f'<circle class="zone" cx="{_f(centre[0])}" cy="{_f(centre[1])}" '
                     f'r="{_f(radius)}"><title>{escape(tr.t("map_brand_zone"))}</title></circle>')
    focusable = 0
    for tp in shown:
        x, y = px(*_point(tp["position"]))
        colour, shape = styles.get(tp.get("channel", ""), _SPARE_STYLES[0])
        diverges = tp.get("status") == "diverges"
        title = _map_title(tp, tr)
        if diverges and focusable < MAP_FOCUSABLE:
            focusable += 1
            parts.append(
                f'<a class="pt-link" href="#touchpoints" data-open="{escape(tp.get("id", ""))}" '
                f'aria-label="{escape(title)}"><circle class="ring" cx="{_f(x)}" cy="{_f(y)}" '
                f'r="8"/><path class="pt" d="{_marker_d(shape, x, y, 4.5)}" fill="{colour}"/>'
                f'<title>{escape(title)}</title></a>')
        else:
            ring = (f'<circle class="ring" cx="{_f(x)}" cy="{_f(y)}" r="8"/>' if diverges else "")
            parts.append(f'<g class="pt-g">{ring}<path class="pt{" dim" if not diverges else ""}"'
                         f' d="{_marker_d(shape, x, y, 3.6)}" fill="{colour}"/>'
                         f'<title>{escape(title)}</title></g>')
    for e in stars:
        x, y = px(e["x"], e["y"])
        title = f'{tr.t("map_exemplar")}: {_clip(str(e.get("text", "")), 160)} ' \
                f'({e.get("source", "")})'
        parts.append(f'<g class="star" tabindex="0" role="img" aria-label="{escape(title)}">'
                     f'<path d="{_marker_d("star", x, y, 7)}"/><title>{escape(title)}</title></g>')
    svg = (f'<svg class="chart map-chart" viewBox="0 0 {width} {height}" role="group" '
           f'aria-labelledby="map-title">{"".join(parts)}</svg>')
    return {"svg": Markup(svg), "shown": len(shown), "total": len(placed),
            "sampled": len(shown) < len(placed), "has_exemplars": bool(stars)}


def _point(value: object) -> tuple[float, float] | None:
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, (int, float)) and math.isfinite(v) for v in value)):
        return float(value[0]), float(value[1])
    return None


def _map_title(tp: dict, tr: Translator) -> str:
    status = tp.get("status") if tp.get("status") in STATUS_ORDER else "none"
    channel = _channel_label(tp.get("channel", ""), tr)
    head = (f'{_title(tp, tr)} · {channel}'
            f' · {tr.t(f"status_{status}")} · {_format_score(tp.get("score"))}')
    findings = [f for f in tp.get("findings", []) if isinstance(f, dict)]
    if findings:
        text = findings[0].get("evidence", "")
    else:
        blocks = [b for b in tp.get("blocks", []) if isinstance(b, dict) and b.get("scored", True)]
        text = " ".join(str(b.get("text", "")) for b in blocks[:2])
    return f"{head}\n{_clip(str(text), 160)}" if text else head


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _distribution(touchpoints: list[dict], channels: list[str], thresholds: dict,
                  tr: Translator, narrow: bool = False) -> dict | None:
    by_channel = {c: sorted(tp["score"] for tp in touchpoints if tp.get("channel") == c
                            and isinstance(tp.get("score"), (int, float))) for c in channels}
    by_channel = {c: v for c, v in by_channel.items() if v}
    if not by_channel or sum(len(v) for v in by_channel.values()) < 2:
        return None
    # Drawn for its half of the page at about its own size (a wider drawing was scaled down
    # to 8-pixel text): each channel's name and median sit above its row, so the plot takes
    # the whole width.
    width = PHONE_DRAWING if narrow else 500
    left, right, row_h, top = 12, 12, 58, 24
    plot_w = width - left - right
    height = top + row_h * len(by_channel) + 24

    def x(v: float) -> float:
        return left + max(0.0, min(100.0, v)) / 100 * plot_w

    bottom = top + row_h * len(by_channel)
    parts = []
    zones = (("diverges", 0, thresholds["warn"]), ("warn", thresholds["warn"], thresholds["ok"]),
             ("ok", thresholds["ok"], 100))
    names = [f'{STATUS_ICON[status]} {tr.t(f"status_{status}")}' for status, _, _ in zones]
    # Each band's name is centred over it, moved aside where a narrow band's name would run
    # into its neighbour's.
    middles = _apart([(x(low) + x(high)) / 2 for _, low, high in zones],
                     [_text_width(name, 11.5, bold=True) for name in names], left, left + plot_w)
    for (status, low, high), name, middle in zip(zones, names, middles, strict=True):
        parts.append(f'<rect class="zone-{status}" x="{_f(x(low))}" y="{top - 6}" '
                     f'width="{_f(x(high) - x(low))}" height="{bottom - top + 6}"/>')
        parts.append(f'<text class="zone-label zone-text-{status}" x="{_f(middle)}" '
                     f'y="{top - 10}" text-anchor="middle">{escape(name)}</text>')
    for tick in range(0, 101, 25):
        parts.append(f'<text class="tick" x="{_f(x(tick))}" y="{bottom + 16}" '
                     f'text-anchor="middle">{tick}</text>')
    for i, (channel, scores) in enumerate(by_channel.items()):
        y = top + row_h * i + 36  # the row's box; its labels above it
        name = _channel_label(channel, tr)
        q1, median, q3 = (statistics.quantiles(scores, n=4, method="inclusive")
                          if len(scores) > 1 else (scores[0],) * 3)
        parts.append(f'<text class="dim" x="{left + 4}" y="{_f(y - 19)}">{escape(name)}</text>')
        step = max(len(scores) / STRIP_LIMIT, 1.0)
        for k in range(min(len(scores), STRIP_LIMIT)):
            score = scores[int(k * step)]
            jitter = ((k * 7919) % 19 - 9) * 1.4  # deterministic: the same report, same picture
            parts.append(f'<circle class="dot" cx="{_f(x(score))}" cy="{_f(y + jitter)}" r="2.6"/>')
        box = tr.t("dist_box", channel=name, median=_format_score(median), q1=_format_score(q1),
                   q3=_format_score(q3), low=_format_score(scores[0]),
                   high=_format_score(scores[-1]))
        parts.append(f'<g class="box"><title>{escape(box)}</title>'
                     f'<line x1="{_f(x(scores[0]))}" x2="{_f(x(scores[-1]))}" y1="{_f(y)}" '
                     f'y2="{_f(y)}"/><rect x="{_f(x(q1))}" y="{_f(y - 11)}" '
                     f'width="{_f(max(x(q3) - x(q1), 1))}" height="22" rx="3"/>'
                     f'<line class="median" x1="{_f(x(median))}" x2="{_f(x(median))}" '
                     f'y1="{_f(y - 14)}" y2="{_f(y + 14)}"/></g>')
        label = tr.t("dist_label", n="n=" + tr.number(len(scores)),
                     median=_format_score(median))
        parts.append(f'<text class="dist-label" x="{left + plot_w - 4}" y="{_f(y - 19)}" '
                     f'text-anchor="end">{escape(label)}</text>')
    return {"svg": _chart_svg("dist", narrow, width, height, "dist-title", parts)}


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """About how wide ``text`` is drawn at ``size`` pixels in the report's sans-serif, a
    little over (measured in Chromium: 0.58-0.67 of the size a letter, 0.62-0.73 in bold,
    Cyrillic the widest)."""
    return len(text) * size * (0.72 if bold else 0.66)


def _apart(middles: list[float], widths: list[float], low: float, high: float) -> list[float]:
    """Centres of labels, in order along a line, moved the least so that none overlaps the
    next (6 units apart) and all stay within ``low``-``high`` where they fit."""
    gap, placed = 6.0, []
    for middle, width in zip(middles, widths, strict=True):
        start = max(middle - width / 2, low, placed[-1][1] + gap if placed else low)
        placed.append([start, start + width])
    end = high
    for label in reversed(placed):  # past the end: pushed back, each clear of the next
        over = label[1] - end
        if over <= 0:
            break
        label[0] -= over
        label[1] -= over
        end = label[0] - gap
    return [(a + b) / 2 for a, b in placed]


def _run_labels(moments: list[datetime | None], tr: Translator) -> list[tuple[str, str]]:
    """Axis labels of runs, each as its line and the line under it: the day (``6 May``);
    when two labelled runs share a day, the time, with the day under it only where it changes
    (``06:00`` / ``6 May``, ``18:00``, ``06:00`` / ``7 May``); when two share a minute, the
    seconds as well (``18:54:05``, ``18:54:40``). A day beside its time was too wide for the
    first run's place at the chart's left edge."""
    def distinct(labels: list[str]) -> bool:
        shown = [label for label in labels if label]
        return len(set(shown)) == len(shown)

    days = [tr.short_date(m) if m else "" for m in moments]
    if distinct(days):
        return [(day, "") for day in days]
    clock = "%H:%M" if distinct([f"{m:%Y-%m-%d %H:%M}" if m else "" for m in moments]) \
        else "%H:%M:%S"
    labels, last = [], ""
    for moment, day in zip(moments, days, strict=True):
        if not moment:
            labels.append(("", ""))
            continue
        labels.append((moment.strftime(clock), day if day != last else ""))
        last = day
    return labels


def _trend_chart(runs: list[dict], styles: dict, thresholds: dict, tr: Translator,
                 narrow: bool = False) -> dict | None:
    runs = [r for r in runs if r["score"] is not None or r["by_channel"]]
    if len(runs) < 2:
        return None
    channels = list(dict.fromkeys(c for r in runs for c in r["by_channel"]))
    values = [r["score"] for r in runs if r["score"] is not None] + [
        v for r in runs for v in r["by_channel"].values()]
    low = max(0.0, math.floor((min(values) - 5) / 10) * 10)
    high = min(100.0, math.ceil((max(values) + 5) / 10) * 10)
    series = [(c, _channel_label(c, tr), [r["by_channel"].get(c) for r in runs]) for c in channels]
    series.append((None, tr.t("trend_brand"), [r["score"] for r in runs]))
    # The end labels ("Website 77") take the right margin, as wide as the widest needs up to
    # a third of the drawing (a longer name is cut short there; its points' titles have it
    # whole); the first run's label is centred on the left margin.
    width, left, top, bottom = (PHONE_DRAWING, 34, 14, 34) if narrow else (760, 40, 14, 34)
    height = 260 if narrow else 300
    room = width // 3 - 10
    widest = max(_text_width(f"{name} 100", 12, bold=channel is None)
                 for channel, name, _ in series)
    right = 10 + max(min(widest, room), 86 if narrow else 120)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + plot_w * i / (len(runs) - 1)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low or 1))

    parts = []
    for status, a, b in (("diverges", 0, thresholds["warn"]), ("warn", thresholds["warn"],
                                                              thresholds["ok"]),
                         ("ok", thresholds["ok"], 100)):
        a, b = max(a, low), min(b, high)
        if b > a:
            parts.append(f'<rect class="zone-{status}" x="{left}" y="{_f(y(b))}" '
                         f'width="{plot_w}" height="{_f(y(a) - y(b))}"/>')
    for tick in range(int(low), int(high) + 1, 10):
        parts.append(f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{_f(y(tick))}" '
                     f'y2="{_f(y(tick))}"/><text class="tick" x="{left - 6}" '
                     f'y="{_f(y(tick) + 4)}" text-anchor="end">{tick}</text>')
    every = max(1, math.ceil(len(runs) / (4 if narrow else 8)))
    ticks = [i for i in range(len(runs)) if i % every == 0 or i == len(runs) - 1]
    for i, (label, under) in zip(ticks, _run_labels([runs[i]["started_at"] for i in ticks], tr),
                                 strict=True):
        text = escape(label or str(i + 1))
        if under:
            text += Markup(f'<tspan x="{_f(x(i))}" dy="13">{escape(under)}</tspan>')
        parts.append(f'<text class="tick" x="{_f(x(i))}" y="{height - 18}" '
                     f'text-anchor="middle">{text}</text>')
    ends = []
    for channel, name, points in series:
        colour, shape = styles.get(channel, ("#1f2328", "circle")) if channel else ("#1f2328",
                                                                                    "circle")
        coords = [(x(i), y(v)) for i, v in enumerate(points) if v is not None]
        if not coords:
            continue
        cls = "line brand" if channel is None else "line"
        parts.append(f'<polyline class="{cls}" points="'
                     + " ".join(f"{_f(a)},{_f(b)}" for a, b in coords)
                     + f'" stroke="{colour}"/>')
        for i, v in enumerate(points):
            if v is None:
                continue
            date = tr.date(runs[i]["started_at"]) if runs[i]["started_at"] else ""
            title = tr.t("trend_point", series=name, date=date or runs[i]["run_id"],
                         score=_format_score(v))
            parts.append(f'<path class="pt" d="{_marker_d(shape, x(i), y(v), 4 if channel else 5)}"'
                         f' fill="{colour}"><title>{escape(title)}</title></path>')
        last = [v for v in points if v is not None][-1]
        value = _format_score(last)
        fits = max(4, int(room / _text_width("x", 12, bold=channel is None)) - len(value) - 1)
        ends.append([y(last), _clip(name, fits), value, channel is None])
    ends.sort()
    for k in range(1, len(ends)):  # keep end labels from overlapping
        ends[k][0] = max(ends[k][0], ends[k - 1][0] + 13)
    for label_y, name, value, is_brand in ends:
        parts.append(f'<text class="end-label{" brand" if is_brand else ""}" '
                     f'x="{left + plot_w + 10}" y="{_f(label_y + 4)}">'
                     f'{escape(name)} {value}</text>')
    return {"svg": _chart_svg("trend", narrow, width, height, "trend-title", parts),
            "runs": len(runs)}


def _coverage(coverage: object, styles: dict, tr: Translator) -> dict | None:
    if not isinstance(coverage, dict) or not coverage.get("messages"):
        return None
    channels = list(coverage.get("channels", []))
    rows = []
    versions = coverage.get("versions") or []
    for n, (message, shares) in enumerate(zip(coverage["messages"], coverage.get("matrix", []),
                                              strict=False)):
        cells = []
        for share in list(shares)[:len(channels)]:
            value = share if isinstance(share, (int, float)) else None
            cells.append({"value": value,
                          "text": f"{value * 100:.0f}%" if value is not None else "—",
                          "alpha": f"{0.08 + 0.72 * value:.2f}" if value else "0",
                          # "not said" exactly when the cell reads 0%: one post in 21
                          # (5%) is rare, but it was said.
                          "gap": value is not None and round(value * 100) == 0,
                          "dark": value is not None and value > 0.55})
        other = versions[n] if n < len(versions) and isinstance(versions[n], list) else []
        rows.append({"message": message, "versions": [str(v) for v in other], "cells": cells})
    return {"channels": [(c, _channel_label(c, tr), Markup(_marker_svg(c, styles, 12)))
                         for c in channels], "rows": rows}
