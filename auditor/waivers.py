"""Exceptions that are recorded and owned: the waiver file and setting findings aside.

``.brand-audit-waivers.toml`` lists findings a named person has accepted, until a date::

    [[waiver]]
    fingerprint = "3f1c9a0b7d2e4c61"        # from the report (json/sarif) or `--format json`
    rule = "respect.false_urgency"          # optional: the waiver then also checks the rule
    reason = "Legal approved the wording for the Black Friday campaign (JIRA MKT-412)"
    owner = "anna.petrova@acme.example"
    expires = 2026-12-01                    # a TOML date (or "2026-12-01")

A waived finding is reported as waived (with reason and owner) and not counted: not in the
score, the status or any gate. An expired waiver waives nothing and fails the gate, naming the
waiver, its owner and its expiry, so an exception never outlives the decision behind it.
Inline ``brand-audit: ignore`` comments (``auditor.content``) are set aside the same way.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from auditor.errors import ConfigError
from auditor.scoring import final_score, status_for
from auditor.types import Finding

DEFAULT_WAIVERS_FILE = ".brand-audit-waivers.toml"
_REQUIRED = ("fingerprint", "reason", "owner", "expires")
_ALLOWED = {*_REQUIRED, "rule"}
_FINGERPRINT = re.compile(r"^[0-9a-f]{6,64}$")


@dataclass(frozen=True)
class Waiver:
    """One accepted finding: who accepted it, why, and until when."""

    fingerprint: str
    reason: str
    owner: str
    expires: date
    rule: str | None = None
    line: int | None = None  # where it is written in the waiver file, for messages
    source: str = DEFAULT_WAIVERS_FILE

    def expired(self, today: date) -> bool:
        """A waiver is valid through its ``expires`` day and expired after it."""
        return today > self.expires

    def describe(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        rule = f" ({self.rule})" if self.rule else ""
        return f"waiver {self.fingerprint}{rule} at {where}, owner {self.owner}"


def load_waivers(path: str | Path) -> tuple[Waiver, ...]:
    """Read and validate a waiver file; ``ConfigError`` names the file, line and key."""
    path = Path(path)
    src = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("waiver file not found", source=src,
                          hint=f"create {DEFAULT_WAIVERS_FILE} or drop --waivers") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the waiver file: {exc}", source=src) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        from auditor.config import _toml_error_line

        raise ConfigError(f"not valid TOML: {exc}", source=src, line=_toml_error_line(exc),
                          hint="check quotes, brackets and `key = value` syntax") from None
    return parse_waivers(data, src, text)


def parse_waivers(data: dict, src: str, text: str = "") -> tuple[Waiver, ...]:
    """Validate the parsed TOML of a waiver file."""
    # The config's error helpers, imported here: a check without a waiver file skips them.
    from auditor.config import _did_you_mean, _line_of

    for key in data:
        if key != "waiver":
            raise ConfigError("unknown key", source=src, key=key, line=_line_of(text, key),
                              hint=_did_you_mean(key, ["waiver"]) +
                              "a waiver file holds [[waiver]] tables only")
    tables = data.get("waiver", [])
    if not isinstance(tables, list):
        raise ConfigError("must be an array of tables", source=src, key="waiver",
                          line=_line_of(text, "waiver"), hint="write [[waiver]] for each one")
    headers = [m.start() for m in re.finditer(r"^[ \t]*\[\[[ \t]*waiver[ \t]*\]\]", text,
                                              re.MULTILINE)]
    out = []
    for i, table in enumerate(tables):
        line = text.count("\n", 0, headers[i]) + 1 if i < len(headers) else None
        key = f"waiver[{i}]"
        for name in table:
            if name not in _ALLOWED:
                raise ConfigError("unknown key", source=src, key=f"{key}.{name}",
                                  line=_line_in_table(text, headers, i, name) or line,
                                  hint=_did_you_mean(name, _ALLOWED) +
                                  f"allowed: {', '.join(sorted(_ALLOWED))}")
        for name in _REQUIRED:
            if name not in table:
                raise ConfigError("missing required key", source=src, key=f"{key}.{name}",
                                  line=line, hint="every waiver needs fingerprint, reason, "
                                  "owner and expires: an exception is recorded and owned")
        for name in ("fingerprint", "reason", "owner", "rule"):
            if name in table and (not isinstance(table[name], str) or not table[name].strip()):
                raise ConfigError(f"expected a non-empty string, got {table[name]!r}",
                                  source=src, key=f"{key}.{name}",
                                  line=_line_in_table(text, headers, i, name) or line)
        fingerprint = table["fingerprint"].strip().lower()
        if not _FINGERPRINT.match(fingerprint):
            raise ConfigError(f"{table['fingerprint']!r} is not a finding fingerprint",
                              source=src, key=f"{key}.fingerprint",
                              line=_line_in_table(text, headers, i, "fingerprint") or line,
                              hint="copy the finding's fingerprint from `--format json` or "
                                   "the SARIF partialFingerprints")
        expires = _date(table["expires"])
        if expires is None:
            raise ConfigError(f"expected a date like 2026-12-01, got {table['expires']!r}",
                              source=src, key=f"{key}.expires",
                              line=_line_in_table(text, headers, i, "expires") or line)
        out.append(Waiver(fingerprint, table["reason"].strip(), table["owner"].strip(), expires,
                          table.get("rule"), line, src))
    return tuple(out)


def _date(value: object) -> date | None:
    if isinstance(value, date):  # TOML dates (a datetime is a date too)
        return value if type(value) is date else value.date()  # type: ignore[union-attr]
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _line_in_table(text: str, headers: list[int], index: int, key: str) -> int | None:
    if index >= len(headers):
        return None
    end = headers[index + 1] if index + 1 < len(headers) else len(text)
    match = re.search(rf"^[ \t]*\"?{re.escape(key)}\"?[ \t]*=", text[headers[index]:end],
                      re.MULTILINE)
    return text.count("\n", 0, headers[index] + match.start()) + 1 if match else None


# -- Setting findings aside -----------------------------------------------------------------


@dataclass(frozen=True)
class Exemption:
    """Why one finding is set aside: an inline comment or a waiver."""

    kind: str            # "inline" | "waiver"
    reason: str
    owner: str | None = None
    expires: date | None = None
    where: str | None = None  # "path:line" of the comment or the waiver

    def as_dict(self) -> dict:
        out: dict = {"kind": self.kind, "reason": self.reason}
        if self.owner:
            out["owner"] = self.owner
        if self.expires:
            out["expires"] = self.expires.isoformat()
        if self.where:
            out["where"] = self.where
        return out


@dataclass(frozen=True)
class WaiverStatus:
    """What the waivers did in one run, for the gate and the report."""

    expired: tuple[tuple[Waiver, int], ...] = ()  # (waiver, findings it would have matched)
    unused: tuple[Waiver, ...] = ()
    applied: int = 0


def apply_exceptions(report: dict, *,
                     inline: Mapping[tuple[str, int], Exemption] | None = None,
                     waivers: tuple[Waiver, ...] = (),
                     outside: set[tuple[str, int]] | None = None,
                     today: date | None = None) -> tuple[dict, WaiverStatus]:
    """A copy of ``report`` with waived, suppressed and out-of-scope findings set aside.

    ``inline`` maps (touchpoint id, index of the finding in its touchpoint) to an inline
    suppression; ``outside`` holds such pairs for findings on lines a change did not touch
    (``--changed-since``).
    Set-aside findings leave ``findings`` for ``waived`` (inline and waivers, with who and
    why) or are only counted (outside the change); scores, statuses and the summary are
    recomputed without them. Expired waivers set nothing aside.
    """
    today = today or date.today()
    inline = inline or {}
    outside = outside or set()
    valid = {w.fingerprint: w for w in waivers if not w.expired(today)}
    expired = {w.fingerprint: w for w in waivers if w.expired(today)}
    used: set[str] = set()
    expired_hits: dict[str, int] = {}
    applied = 0
    touchpoints = []
    set_aside_total = {"waived": 0, "outside_changes": 0}
    for tp in report.get("touchpoints", []):
        keep, waived, dropped = [], [], []
        for n, finding in enumerate(tp.get("findings", [])):
            fp = finding.get("fingerprint") or ""
            key = (tp.get("id", ""), n)
            waiver = valid.get(fp)
            if waiver is not None and waiver.rule and waiver.rule != finding.get("rule"):
                waiver = None
            if fp in expired:
                expired_hits[fp] = expired_hits.get(fp, 0) + 1
            if key in outside:
                dropped.append(finding)
            elif key in inline:
                waived.append({**finding, "waiver": inline[key].as_dict()})
            elif waiver is not None:
                used.add(fp)
                applied += 1
                reason = Exemption("waiver", waiver.reason, waiver.owner, waiver.expires,
                                    f"{waiver.source}:{waiver.line}" if waiver.line
                                    else waiver.source)
                waived.append({**finding, "waiver": reason.as_dict()})
            else:
                keep.append(finding)
        new_tp = dict(tp)
        if waived or dropped:
            new_tp["findings"] = keep
            new_tp["score"] = _rescore(tp, keep)
            new_tp["status"] = _status(new_tp["score"], keep)
        if waived:
            new_tp["waived"] = [*tp.get("waived", []), *waived]
        set_aside_total["waived"] += len(waived)
        set_aside_total["outside_changes"] += len(dropped)
        touchpoints.append(new_tp)
    out = dict(report)
    out["touchpoints"] = touchpoints
    out["summary"] = _summary(report.get("summary", {}), touchpoints)
    if set_aside_total["waived"]:
        out["summary"]["waived"] = report.get("summary", {}).get("waived", 0) + set_aside_total[
            "waived"]
    if set_aside_total["outside_changes"]:
        out["summary"]["outside_changes"] = set_aside_total["outside_changes"]
    status = WaiverStatus(
        expired=tuple((w, expired_hits.get(fp, 0)) for fp, w in expired.items()),
        unused=tuple(w for fp, w in valid.items() if fp not in used),
        applied=applied,
    )
    return out, status


def _penalty(findings: list[dict]) -> float:
    # Whatever auditor.scoring.final_score takes off a perfect message score for these
    # findings: the scorer stays the one place that knows the penalty rules.
    return 100.0 - final_score(None, _typed(findings))


def _typed(findings: list[dict]) -> tuple[Finding, ...]:
    return tuple(Finding(str(f.get("rule", "")), f.get("severity", "info"), "", "")
                 for f in findings)


def _rescore(tp: dict, keep: list[dict]) -> float | None:
    """The touchpoint's score with only the penalties of the ``keep`` findings.

    The stored score is ``max(0, message score - penalty)``; the message score is recovered
    by adding the penalty back. At 0 the message score is only known to be at most the
    penalty, so 0 stays 0 there: setting findings aside never raises a score by a guess.
    """
    score = tp.get("score")
    if score is None:
        return None
    before = _penalty(tp.get("findings", []))
    after = _penalty(keep)
    if score <= 0 and before > 0:
        return 0.0
    return round(max(0.0, min(100.0, score + before - after)), 1)


def _status(score: float | None, findings: list[dict]) -> str:
    return status_for(score, _typed(findings))


def _summary(summary: dict, touchpoints: list[dict]) -> dict:
    """``summary`` recomputed from ``touchpoints`` the way ``auditor.engine.aggregate`` does."""
    out = dict(summary)
    by_channel: dict[str, list[dict]] = {}
    for tp in touchpoints:
        by_channel.setdefault(tp.get("channel", ""), []).append(tp)
    channels = {}
    for name, tps in sorted(by_channel.items()):
        channels[name] = {
            **(summary.get("by_channel", {}).get(name) or {}),
            "score": _mean(t.get("score") for t in tps),
            "touchpoints": len(tps),
            "diverging": sum(t.get("status") == "diverges" for t in tps),
            "warnings": sum(t.get("status") == "warn" for t in tps),
        }
    out["by_channel"] = channels
    out["touchpoints"] = len(touchpoints)
    out["diverging"] = sum(t.get("status") == "diverges" for t in touchpoints)
    out["warnings"] = sum(t.get("status") == "warn" for t in touchpoints)
    out["score"] = _mean(c["score"] for c in channels.values())
    return out


def _mean(values) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals) / len(vals), 1) if vals else None
