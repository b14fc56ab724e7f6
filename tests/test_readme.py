"""The README teaches the tool: its config example must be a config brand-audit accepts."""

from __future__ import annotations

import re
from pathlib import Path

from auditor.config import parse_config

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_config_example_is_valid() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### The config"):]
    block = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    import tomllib

    config = parse_config(tomllib.loads(block), Path("/tmp/audit.toml"), block)
    kinds = {s.kind for s in config.channels}
    assert {"web", "social", "calls", "chat", "email", "sms", "files"} <= kinds


def test_readme_names_the_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text


def test_readme_shows_the_report_screenshots_and_they_exist() -> None:
    text = README.read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)
    assert {"docs/img/report-overview.png", "docs/img/report-finding.png"} <= set(images)
    for image in images:
        path = README.parent / image
        assert path.is_file(), image
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
