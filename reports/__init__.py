"""Report renderers. ``report.json`` (``json_report.to_dict``) is the source of truth; every
format here is a view of that dict, so a stored report can be re-rendered without re-crawling.

    from reports import render, write
    from reports.json_report import to_dict
    write(to_dict(run), "html", Path("out/report.html"))
"""

from __future__ import annotations

from pathlib import Path

from auditor.errors import BrandAuditError
from auditor.types import AuditRun

from .i18n import localized
from .json_report import dumps, load_json, to_dict, write_json
from .text import render_markdown, render_text

FORMATS = ("json", "html", "text", "markdown", "sarif", "junit", "github")

__all__ = ["FORMATS", "load_json", "render", "render_github", "render_html", "render_junit",
           "render_markdown", "render_sarif", "render_text", "to_dict", "write", "write_json"]


#: Renderers loaded only when asked for: `check` prints text without Jinja2 (HTML) or the
#: CI formats' modules.
_LAZY = {"render_html": "html", "render_github": "github", "render_junit": "junit",
         "render_sarif": "sarif"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'reports' has no attribute {name!r}")


def render(report: dict | AuditRun, fmt: str, lang: str = "en") -> str:
    """``report`` (the report dict, or an ``AuditRun`` to convert first) as ``fmt`` text.

    ``lang`` (``en``, ``ru``) is the language of the findings in every format but JSON (which
    holds every language, ``findings[].translations``) and of the HTML report's interface.
    """
    if isinstance(report, AuditRun):
        report = to_dict(report)
    if fmt == "json":
        return dumps(report)
    if fmt == "html":
        from .html import render_html

        return render_html(report, lang=lang)  # localizes the findings itself
    report = localized(report, lang)
    if fmt == "text":
        return render_text(report, color=False)
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "sarif":
        from .sarif import render_sarif

        return render_sarif(report)
    if fmt == "junit":
        from .junit import render_junit

        return render_junit(report)
    if fmt == "github":
        from .github import render_github

        return render_github(report)
    raise BrandAuditError(f"unknown report format {fmt!r}", key="format",
                          hint=f"choose one of: {', '.join(FORMATS)}")


def write(report: dict | AuditRun, fmt: str, path: Path | str, lang: str = "en") -> Path:
    """Render ``report`` as ``fmt`` into ``path`` (UTF-8; folders created) and return the path."""
    text = render(report, fmt, lang=lang)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
