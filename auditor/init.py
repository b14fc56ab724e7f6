"""``brand-audit init``: a commented config and a baseline skeleton to start from."""

from __future__ import annotations

import re
from pathlib import Path

from auditor.errors import BrandAuditError

AUDIT_TOML = '''\
# brand-audit configuration. Paths are relative to this file.
# Docs: README.md; every key below is optional unless marked required.

[audit]
name = "{name}"
baseline = "baselines/{slug}"            # required: folder with brand.toml and exemplars/
store = ".brand-audit/audit.db"          # run history and embedding cache (SQLite)
out = "brand-audit-report"               # report.json, report.html and summary.md go here
fail_on = "error"                        # exit 1 when a touchpoint diverges (error), also
                                         # when one warns (warning), or never
# model = "use"                          # use (multilingual, default), minilm, or a
                                         # sentence-transformers model name or local path

# Content kept as files: Markdown, MDX, HTML, text. Folders are walked.
[[channels.files]]
path = "content/"

# Your website: crawled politely from the start URLs, same host only, robots.txt obeyed.
# [[channels.web]]
# start = ["https://www.example.com/"]
# max_pages = 200

# Social posts: kind = rss, telegram, mastodon, x-archive, facebook-export, instagram-export,
# linkedin-export, csv, jsonl or html (see README "Social sources").
# [[channels.social]]
# kind = "telegram"
# account = "your_channel"                 # reads https://t.me/s/your_channel

# Call transcripts (WebVTT, SRT, plain "Agent: ..." text, Whisper, AWS Transcribe, Deepgram,
# AssemblyAI JSON, CSV; the format is detected). Only the agents' turns are scored.
# [[channels.calls]]
# path = "transcripts/"
# agent_speakers = ["Agent", "Оператор"]
# company_names = ["{name}"]

# E-mail campaigns (.eml, .mbox) and SMS exports (.csv).
# [[channels.email]]
# path = "campaigns/"
# [[channels.sms]]
# path = "sms/"
'''

BRAND_TOML = '''\
# The brand's baseline. Only `name` and at least one file of approved copy in exemplars/
# (.md, .txt or .html, any language) are required; the rest is learned or has a default.
name = "{name}"

# languages = ["en", "ru"]              # default: learned from the exemplars

# What the brand wants every channel to say, one statement each (any language).
key_messages = [
]

# [terminology]
# banned = {{ "cheap" = "say 'affordable'" }}       # term -> why, or what to say instead
# preferred = {{ "clients" = "customers" }}          # avoid -> use

# [thresholds]                          # percentiles of the approved copy's own scores
# warn_percentile = 10
# diverge_percentile = 5
'''

EXEMPLARS_README = '''\
Put approved copy here: pages, posts, e-mails and call scripts the brand is proud of, as
.md, .txt or .html files, a file per page, post, e-mail or script. Every paragraph becomes
an example of the brand's voice; each file's paragraphs are compared with the other files'
to calibrate the scores, so one file is not enough. Aim for 50-200 paragraphs across your
channels. Subfolders are fine; one named after a channel
(web/, social/, calls/, chat/, email/, sms/) holds that channel's copy, and findings on that
channel show their on-brand examples from it.
'''


def brand_slug(name: str) -> str:
    """The baseline folder's name: the brand's name in lower case, words joined by hyphens,
    in its own alphabet ("Sosna Test" -> sosna-test, "Хабр" -> хабр)."""
    return re.sub(r"[\W_]+", "-", name.lower()).strip("-") or "brand"


def write_skeleton(directory: Path, name: str) -> list[Path]:
    """Write audit.toml and baselines/<slug>/; refuse to overwrite existing files."""
    slug = brand_slug(name)
    files = {
        directory / "audit.toml": AUDIT_TOML.format(name=name, slug=slug),
        directory / "baselines" / slug / "brand.toml": BRAND_TOML.format(name=name),
        directory / "baselines" / slug / "exemplars" / "README": EXEMPLARS_README,
    }
    existing = [p for p in files if p.exists()]
    if existing:
        raise BrandAuditError("already exists, not overwritten", source=str(existing[0]),
                              hint="run init in an empty folder or remove the file")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (directory / "content").mkdir(exist_ok=True)
    return list(files)
