"""Gates: when an audit or a CI check fails, in the manner of Lighthouse CI assertions.

Each gate has a level: ``off`` (not checked), ``warn`` (reported, never fails) or ``error``
(fails: exit code 1). Configured in ``audit.toml`` under ``[gates]`` or in a file passed with
``brand-audit check --gates FILE`` (a ``[gates]`` table, or the same keys at the top level)::

    [gates]
    rules = { "respect.*" = "error", "terms.preferred" = "off" }   # glob or prefix -> level
    channels = { social = "warn" }        # a channel's findings never rise above this level
    severity = { error = "error", warning = "warn", info = "off" }  # rules not listed above
    min_score = 70                        # the run's score; or { value = 70, level = "warn" }
    min_channel_score = { web = 75, "*" = 60 }
    max_diverging = 0                     # touchpoints that diverge
    no_regression = true                  # against the previous run or --baseline-report
    tolerance = 2.0                       # points a score may drop before it is a regression
    expired_waivers = "error"             # an expired waiver fails the gate
    collection_errors = "warn"            # sources that could not be read ("error" when
                                          # nothing at all was collected, unless "off")
    fail_on = "error"                     # the --fail-on shorthand: touchpoint status

A finding's level is its rule's (the most specific matching pattern in ``rules``, else
``severity`` by the finding's severity), capped by its channel's level in ``channels``.
Without any gates configured only ``fail_on`` (default ``error``: a touchpoint diverges),
``expired_waivers`` and a run that collected nothing at all apply.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import EXIT_GATE_FAILED, EXIT_OK, ConfigError
from reports.i18n import counted

LEVELS = ("off", "warn", "error")
_RANK = {"off": 0, "warn": 1, "error": 2}
FAIL_ON = ("error", "warning", "never")
DEFAULT_SEVERITY_LEVELS = {"error": "error", "warning": "warn", "info": "off"}
_KEYS = {"rules", "channels", "severity", "min_score", "min_channel_score", "max_diverging",
         "no_regression", "tolerance", "expired_waivers", "collection_errors", "fail_on"}


@dataclass(frozen=True)
class Threshold:
    """A number a gate compares with, and the gate's level."""

    value: float
    level: str = "error"


@dataclass(frozen=True)
class Gates:
    """Validated gate configuration (see the module docstring for the keys)."""

    rules: tuple[tuple[str, str], ...] = ()
    channels: tuple[tuple[str, str], ...] = ()
    severity: tuple[tuple[str, str], ...] = tuple(DEFAULT_SEVERITY_LEVELS.items())
    min_score: Threshold | None = None
    min_channel_score: tuple[tuple[str, Threshold], ...] = ()
    max_diverging: Threshold | None = None
    no_regression: str = "off"
    tolerance: float = 0.0
    expired_waivers: str = "error"
    collection_errors: str = "warn"
    fail_on: str | None = None
    #: False for the implicit gates of a run without [gates]: only fail_on and waivers apply.
    configured: bool = True
    source: str | None = None

    def with_fail_on(self, fail_on: str | None) -> Gates:
        from dataclasses import replace

        return self if fail_on is None else replace(self, fail_on=fail_on)

    def finding_level(self, rule: str, severity: str, channel: str | None) -> str:
        """The gate level of one finding: its rule's level capped by its channel's."""
        from auditor.content import rule_matches

        matches = [(pattern, level) for pattern, level in self.rules
                   if rule_matches(rule, pattern)]
        if matches:
            # The most specific pattern wins: an exact name beats a prefix beats a glob.
            level = max(matches, key=lambda m: (m[0] == rule, "*" not in m[0], len(m[0])))[1]
        else:
            level = dict(self.severity).get(severity, "off")
        cap = dict(self.channels).get(channel or "")
        if cap is not None and _RANK[cap] < _RANK[level]:
            level = cap
        return level


def default_gates(fail_on: str | None = "error") -> Gates:
    """The gates of a run with no ``[gates]``: the ``fail_on`` shorthand, expired waivers and
    a run that collected nothing."""
    return Gates(fail_on=fail_on or "error", configured=False)


def load_gates_file(path: str | Path) -> Gates:
    """Gates from a TOML file of their own (``--gates FILE``)."""
    from auditor.config import _toml_error_line

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("gates file not found", source=str(path),
                          hint="pass a TOML file with a [gates] table") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the gates file: {exc}", source=str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", source=str(path), line=_toml_error_line(exc),
                          hint="check quotes, brackets and `key = value` syntax") from None
    if "gates" in data:
        extra = [k for k in data if k != "gates"]
        if extra:
            from auditor.config import _line_of

            raise ConfigError("unknown key", source=str(path), key=extra[0],
                              line=_line_of(text, extra[0]),
                              hint="a gates file holds a [gates] table (or its keys) only")
        data = data["gates"]
    return parse_gates(data, str(path), text)


def parse_gates(table: Any, src: str, text: str = "") -> Gates:
    """Validate a ``[gates]`` table; ``ConfigError`` names the file, line and key."""
    from auditor.config import _check_keys, _line_of

    if not isinstance(table, dict):
        raise ConfigError("must be a table", source=src, key="gates", line=_line_of(text, "gates"),
                          hint="write [gates] followed by key = value lines")
    _check_keys(table, _KEYS, src, text, prefix="gates.")

    def err(key: str, message: str, hint: str | None = None) -> ConfigError:
        return ConfigError(message, source=src, key=f"gates.{key}",
                           line=_line_of(text, key.split(".")[0]), hint=hint)

    def level(key: str, value: Any) -> str:
        if not isinstance(value, str) or value not in LEVELS:
            raise err(key, f"expected one of {', '.join(LEVELS)}, got {value!r}")
        return value

    def level_map(key: str, allowed: tuple[str, ...] | None = None) -> tuple[tuple[str, str], ...]:
        value = table.get(key, {})
        if not isinstance(value, dict):
            raise err(key, f"expected a table like {{ name = \"error\" }}, got {value!r}")
        out = []
        for name, lvl in value.items():
            if allowed is not None and name not in allowed:
                raise err(f"{key}.{name}", f"unknown {key} {name!r}",
                          hint=f"expected one of {', '.join(allowed)}")
            out.append((name, level(f"{key}.{name}", lvl)))
        return tuple(out)

    def threshold(key: str, value: Any, low: float, high: float | None) -> Threshold:
        lvl = "error"
        if isinstance(value, dict):
            unknown = set(value) - {"value", "level"}
            if unknown or "value" not in value:
                raise err(key, f"expected {{ value = N, level = \"warn\"|\"error\" }}, "
                          f"got {value!r}")
            lvl = level(f"{key}.level", value.get("level", "error"))
            value = value["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise err(key, f"expected a number, got {type(value).__name__} {value!r}")
        if value < low or (high is not None and value > high):
            bound = f"{low:g}..{high:g}" if high is not None else f"at least {low:g}"
            raise err(key, f"{value!r} is out of range", hint=f"expected {bound}")
        return Threshold(float(value), lvl)

    from auditor.types import CHANNELS

    channels = level_map("channels")
    for name, _ in channels:
        if name not in CHANNELS:
            raise err(f"channels.{name}", f"unknown channel {name!r}",
                      hint=f"channels are {', '.join(CHANNELS)}")
    min_channel: list[tuple[str, Threshold]] = []
    raw = table.get("min_channel_score", {})
    if not isinstance(raw, dict):
        raise err("min_channel_score", f"expected a table like {{ web = 70 }}, got {raw!r}")
    for name, value in raw.items():
        if name != "*" and name not in CHANNELS:
            raise err(f"min_channel_score.{name}", f"unknown channel {name!r}",
                      hint=f"channels are {', '.join(CHANNELS)}, or \"*\" for every channel")
        min_channel.append((name, threshold(f"min_channel_score.{name}", value, 0, 100)))
    regression = table.get("no_regression", False)
    if isinstance(regression, bool):
        regression = "error" if regression else "off"
    else:
        regression = level("no_regression", regression)
    tolerance = table.get("tolerance", 0.0)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance < 0:
        raise err("tolerance", f"expected a number of points, 0 or more, got {tolerance!r}")
    fail_on = table.get("fail_on")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise err("fail_on", f"unknown value {fail_on!r}", hint=f"expected one of "
                  f"{', '.join(FAIL_ON)}")
    severity = dict(DEFAULT_SEVERITY_LEVELS)
    severity.update(level_map("severity", tuple(DEFAULT_SEVERITY_LEVELS)))
    return Gates(
        rules=level_map("rules"),
        channels=channels,
        severity=tuple(severity.items()),
        min_score=threshold("min_score", table["min_score"], 0, 100)
        if "min_score" in table else None,
        min_channel_score=tuple(min_channel),
        max_diverging=threshold("max_diverging", table["max_diverging"], 0, None)
        if "max_diverging" in table else None,
        no_regression=regression,
        tolerance=float(tolerance),
        expired_waivers=level("expired_waivers", table.get("expired_waivers", "error")),
        collection_errors=level("collection_errors", table.get("collection_errors", "warn")),
        fail_on=fail_on,
        source=src,
    )


# -- Evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GateResult:
    """One gate's verdict: ``passed`` False at level ``error`` fails the run."""

    gate: str
    level: str
    passed: bool
    message: str
    details: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return not self.passed and self.level == "error"

    def as_dict(self) -> dict:
        out: dict = {"gate": self.gate, "level": self.level,
                     "status": "pass" if self.passed else ("fail" if self.failed else "warn"),
                     "message": self.message}
        if self.details:
            out["details"] = list(self.details)
        return out


@dataclass(frozen=True)
class GateReport:
    results: tuple[GateResult, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> tuple[GateResult, ...]:
        return tuple(r for r in self.results if r.failed)

    @property
    def warnings(self) -> tuple[GateResult, ...]:
        return tuple(r for r in self.results if not r.passed and not r.failed)

    @property
    def exit_code(self) -> int:
        return EXIT_GATE_FAILED if self.failed else EXIT_OK

    def as_list(self) -> list[dict]:
        return [r.as_dict() for r in self.results]


def evaluate(report: dict, gates: Gates, *, previous: dict | None = None,
             previous_label: str | None = None, waivers: Any = None) -> GateReport:
    """Every configured gate on ``report`` (a report dict after exceptions are applied).

    ``previous`` is the report to compare with for ``no_regression`` (the previous stored run
    or a reference report.json); ``waivers`` the ``auditor.waivers.WaiverStatus`` of the run.
    """
    results: list[GateResult] = []
    touchpoints = report.get("touchpoints", [])
    summary = report.get("summary", {})
    if gates.fail_on and gates.fail_on != "never":
        failing = ("diverges",) if gates.fail_on == "error" else ("diverges", "warn")
        bad = [tp for tp in touchpoints if tp.get("status") in failing]
        what = "diverges" if gates.fail_on == "error" else "diverges or warns"
        results.append(GateResult(
            "fail_on", "error", not bad,
            f"{counted(len(bad), 'touchpoint')} where copy {what} (fail_on = {gates.fail_on})"
            if bad else f"no touchpoint {what}", _tp_lines(bad[:20], touchpoints)))
    if gates.configured:
        results.extend(_rule_gates(touchpoints, gates))
        results.extend(_score_gates(summary, gates))
        if gates.max_diverging is not None:
            limit = int(gates.max_diverging.value)
            bad = [tp for tp in touchpoints if tp.get("status") == "diverges"]
            results.append(GateResult(
                "max_diverging", gates.max_diverging.level, len(bad) <= limit,
                f"{counted(len(bad), 'diverging touchpoint')}, at most {limit} allowed",
                _tp_lines(bad[:20], touchpoints)))
        if gates.no_regression != "off":
            results.append(_regression(report, previous, previous_label, gates))
    if waivers is not None and gates.expired_waivers != "off":
        for waiver, hits in getattr(waivers, "expired", ()):
            still = (f"it still matches {counted(hits, 'finding')}, which now count again"
                     if hits else "it matches no finding any more: delete it")
            results.append(GateResult(
                "expired_waiver", gates.expired_waivers, False,
                f"{waiver.describe()} expired on {waiver.expires.isoformat()}; {still}. "
                f"Ask {waiver.owner} to renew it with a new date or fix the copy.",
                (f"reason: {waiver.reason}",)))
    errors = report.get("errors", [])
    # Nothing collected at all (the site down, every file unreadable) fails the run even
    # without [gates]: a scheduled audit that audited nothing must not exit 0.
    nothing = bool(errors) and not report.get("touchpoints")
    if gates.collection_errors != "off" and errors and (gates.configured or nothing):
        read = f"{counted(len(errors), 'source')} could not be read"
        results.append(GateResult(
            "collection_errors", "error" if nothing else gates.collection_errors, False,
            f"nothing was collected: {read}, so nothing was audited" if nothing else read,
            tuple(f"{e.get('source')}: {e.get('error')}" for e in errors[:20])))
    return GateReport(tuple(results))


def _tp_lines(listed: list[dict], touchpoints: list[dict]) -> tuple[str, ...]:
    """A line for each of ``listed``: where it is, its status and score. A source that
    names more than one of the run's ``touchpoints`` (a site's home page and its site-wide
    navigation and footer) is told apart by the touchpoint's title."""
    shared = Counter(tp.get("source") for tp in touchpoints)
    lines = []
    for tp in listed:
        where = tp.get("source", tp.get("id"))
        if shared[where] > 1 and tp.get("title"):
            where = f"{where} ({tp['title']})"
        score = tp.get("score")
        lines.append(f"{where}: {tp.get('status')} " + (
            f"(score {score:.1f})" if isinstance(score, (int, float)) else "(not scored)"))
    return tuple(lines)


def _rule_gates(touchpoints: list[dict], gates: Gates) -> list[GateResult]:
    by_level: dict[str, Counter] = {"error": Counter(), "warn": Counter()}
    where: dict[str, list[str]] = {"error": [], "warn": []}
    for tp in touchpoints:
        for f in tp.get("findings", []):
            lvl = gates.finding_level(f.get("rule", ""), f.get("severity", "info"),
                                      tp.get("channel"))
            if lvl in by_level:
                by_level[lvl][f.get("rule", "")] += 1
                loc = f.get("locator") or tp.get("locator") or {}
                pos = ":".join(str(loc[k]) for k in ("line", "column") if loc.get(k))
                where[lvl].append(f"{loc.get('source', tp.get('source'))}"
                                  f"{':' + pos if pos else ''} {f.get('rule')}")
    out = []
    for lvl in ("error", "warn"):
        counts = by_level[lvl]
        total = sum(counts.values())
        rules = ", ".join(f"{r} ×{n}" for r, n in counts.most_common())
        if lvl == "warn" and not total:
            continue
        out.append(GateResult(
            "rules", lvl, total == 0,
            f"{counted(total, 'finding')} at gate level {lvl}: {rules}" if total
            else f"no finding at gate level {lvl}", tuple(where[lvl][:20])))
    return out


def _score_gates(summary: dict, gates: Gates) -> list[GateResult]:
    out = []
    if gates.min_score is not None:
        out.append(_min("min_score", "brand score", summary.get("score"),
                        summary.get("touchpoints", 0), gates.min_score))
    by_channel: Mapping[str, dict] = summary.get("by_channel", {})
    thresholds = dict(gates.min_channel_score)
    for name, data in sorted(by_channel.items()):
        threshold = thresholds.get(name) or thresholds.get("*")
        if threshold is not None:
            out.append(_min(f"min_channel_score.{name}", f"{name} score", data.get("score"),
                            data.get("touchpoints", 0), threshold))
    return out


def _min(gate: str, what: str, score: float | None, count: int, t: Threshold) -> GateResult:
    if not count:
        return GateResult(gate, t.level, True, f"{what}: nothing scored")
    if score is None:  # a score that could not be computed never counts as a pass
        return GateResult(gate, t.level, False, f"{what} could not be computed; "
                          f"at least {t.value:g} required")
    return GateResult(gate, t.level, score >= t.value,
                      f"{what} {score:.1f}, at least {t.value:g} required")


def _regression(report: dict, previous: dict | None, label: str | None,
                gates: Gates) -> GateResult:
    level, tol = gates.no_regression, gates.tolerance
    if not previous:
        return GateResult("no_regression", level, True,
                          "no previous run or reference report to compare with")
    label = label or f"run {previous.get('run', {}).get('id', '?')}"
    before = {tp.get("id"): tp for tp in previous.get("touchpoints", [])}
    now = {tp.get("id"): tp for tp in report.get("touchpoints", [])}
    common = [i for i in now if i in before]
    if not common:
        return GateResult("no_regression", level, True,
                          f"no touchpoint in common with {label}: nothing to compare")
    details: list[str] = []

    def scores(tps: dict, ids: list) -> float | None:
        vals = [tps[i].get("score") for i in ids]
        vals = [v if v is not None else 0.0 for v in vals]  # unscored never passes
        return sum(vals) / len(vals) if vals else None

    def drop(name: str, a: float | None, b: float | None) -> None:
        if a is not None and b is not None and a - b > tol:
            details.append(f"{name}: {a:.1f} → {b:.1f} ({b - a:+.1f})")

    drop("overall", scores(before, common), scores(now, common))
    channels = sorted({now[i].get("channel", "") for i in common})
    for ch in channels:
        ids = [i for i in common if now[i].get("channel") == ch]
        drop(f"channel {ch}", scores(before, ids), scores(now, ids))
    for i in common:
        drop(str(now[i].get("source") or i), scores(before, [i]), scores(now, [i]))
    passed = not details
    points = f"{tol:g} point" + ("" if tol == 1 else "s")
    message = (f"no score dropped more than {points} since {label} "
               f"({counted(len(common), 'touchpoint')} compared)" if passed else
               f"{counted(len(details), 'score')} dropped more than {points} since {label}")
    return GateResult("no_regression", level, passed, message, tuple(details[:30]))


# -- Comparison with a previous report ------------------------------------------------------


def compare_reports(report: dict, previous: dict, *, only_common: bool = True) -> dict:
    """New and resolved findings (by fingerprint) and the score change against ``previous``,
    in the report's ``comparison`` shape, with the resolved findings described.

    ``only_common`` limits resolved findings to touchpoints this report also scored, so a
    check of a few changed files does not call every other file's findings resolved.
    """
    ids = {tp.get("id") for tp in report.get("touchpoints", [])}
    before = {f.get("fingerprint") for tp in previous.get("touchpoints", [])
              if not only_common or tp.get("id") in ids
              for f in tp.get("findings", []) if f.get("fingerprint")}
    now = {f.get("fingerprint") for tp in report.get("touchpoints", [])
           for f in tp.get("findings", []) if f.get("fingerprint")}
    score, prev_score = report.get("summary", {}).get("score"), previous.get(
        "summary", {}).get("score")
    comparison = {
        "previous_run": previous.get("run", {}).get("id", ""),
        "new": sorted(now - before),
        "resolved": sorted(before - now),
        "score_delta": round(score - prev_score, 1)
        if score is not None and prev_score is not None else None,
    }
    return with_resolved_details(comparison, previous)


def with_resolved_details(comparison: dict, previous: dict | None) -> dict:
    """``comparison`` plus ``resolved_findings``: rule, source and evidence of each resolved
    fingerprint, looked up in the previous report (the report alone only has fingerprints)."""
    if not previous or not comparison.get("resolved"):
        return comparison
    wanted = set(comparison["resolved"])
    details = []
    for tp in previous.get("touchpoints", []):
        for f in tp.get("findings", []):
            if f.get("fingerprint") in wanted:
                wanted.discard(f["fingerprint"])
                loc = f.get("locator") or tp.get("locator") or {}
                detail = {"fingerprint": f["fingerprint"], "rule": f.get("rule"),
                          "source": loc.get("source") or tp.get("source"),
                          "message": f.get("message"), "evidence": f.get("evidence")}
                if isinstance(loc, dict) and set(loc) - {"source"}:
                    detail["locator"] = loc  # where it was: line and column, time, selector
                details.append(detail)
    return {**comparison, "resolved_findings": details}
