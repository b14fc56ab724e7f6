"""``brand-audit doctor``: check a config and a history store before a scheduled run needs them.

Each check is a ``Check`` (what was looked at, whether it is fine, what to do); ``diagnose``
returns them all rather than stopping at the first problem, so one run of ``doctor`` lists
everything that would make ``brand-audit run`` fail or lose data. Nothing is written: the store
is opened read-only, and no page is fetched unless asked (``online``: each web section's start
URLs and their robots.txt, as the crawler would request them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import BrandAuditError
from reports.i18n import counted


@dataclass(frozen=True)
class Check:
    """One finding of ``doctor``: ``ok`` False means something needs fixing."""

    subject: str   # "config", "baseline", "store", "channels.web[0]", ...
    ok: bool
    message: str

    def describe(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.subject}: {self.message}"


def diagnose(config: str | Path | None = None, store: str | Path | None = None,
             online: bool = False) -> list[Check]:
    """Checks of ``config`` (loads, baseline, input paths, Chromium, secrets; with
    ``online``, that each web section's start URLs answer the crawler) and of ``store``
    (default: the config's store); at least one must be given."""
    checks: list[Check] = []
    loaded = None
    if config is not None:
        loaded = _config_checks(Path(config), checks, online)
    if store is None and loaded is not None:
        store = loaded.store
    if store is not None:
        checks.append(_store_check(Path(store)))
    return checks


def one_file_problem(baseline) -> str | None:
    """Why approved copy all in one file cannot calibrate the scores (``doctor`` and
    ``baseline check`` say it), or None when it comes from two files or more."""
    if sum(1 for doc in baseline.exemplars if doc.paragraphs) > 1:
        return None
    return ("All approved copy is in one file, and scores are calibrated by comparing each "
            "approved paragraph with the copy of the other files: with none, every score is "
            "uncalibrated. Add approved copy from a few more pages, posts or calls, a file "
            "each (any text format), under exemplars/.")


def _config_checks(path: Path, checks: list[Check], online: bool = False):
    from auditor.config import load_config
    from baselines import load_baseline

    try:
        config = load_config(path)
    except BrandAuditError as exc:
        checks.append(Check("config", False, exc.describe()))
        return None
    checks.append(Check("config", True, f"{path} loads "
                                        f"({counted(len(config.channels), 'channel section')})"))
    try:
        baseline = load_baseline(config.baseline)
        files = counted(len(baseline.exemplars), "exemplar file")
        problem = one_file_problem(baseline)
        checks.append(Check("baseline", problem is None,
                            f"{config.baseline}: {baseline.name}, {files}"
                            + (f". {problem}" if problem else "")))
    except BrandAuditError as exc:
        checks.append(Check("baseline", False, exc.describe()))
    for section in config.channels:
        subject = f"channels.{section.kind}[{section.index}]"
        for problem in _section_problems(section.kind, section.options, config.base_dir):
            checks.append(Check(subject, False, problem))
        if online and section.kind == "web" and not section.options.site_dir:
            checks += _start_urls_answer(subject, section.options, config)
    return config


#: Start URLs of one web section that ``doctor --online`` requests.
ONLINE_START_URLS = 5


def _start_urls_answer(subject: str, options, config) -> list[Check]:
    """Each start URL (the first few) requested as the crawl would: its robots.txt read and
    obeyed, the crawler's User-Agent, the section's timeout, retries and private-address
    setting; a page that answers with HTML (or a sitemap start URL with a sitemap) is fine,
    anything else says why."""
    from channels import USER_AGENT
    from channels.fetch import Fetcher, FetchError, normalize_url
    from channels.sitemap import SitemapError, parse_sitemap
    from channels.web import is_html, looks_like_sitemap

    checks = []
    with Fetcher(USER_AGENT, timeout=options.timeout, respect_robots=options.respect_robots,
                 max_redirects=options.max_redirects, retries=options.retries,
                 allow_private=options.allow_private_addresses
                 or config.allow_private_addresses) as fetcher:
        for url in options.start[:ONLINE_START_URLS]:
            try:
                refusal = fetcher.robots_refusal(url)
                if refusal:
                    checks.append(Check(subject, False, f"{url}: {refusal}"))
                    continue
                sitemap = looks_like_sitemap(url)
                response = fetcher.get(url, same_origin=False,
                                       accept=None if sitemap else is_html)
                found = ""
                if sitemap:
                    read = parse_sitemap(response.body, config.limits)
                    listed = [counted(len(read.pages), "page")] if read.pages or \
                        not read.sitemaps else []
                    if read.sitemaps:
                        listed.append(counted(len(read.sitemaps), "sitemap"))
                    found = f", a sitemap listing {' and '.join(listed)}"
            except (FetchError, SitemapError) as exc:
                checks.append(Check(subject, False, f"{url}: {exc}"))
                continue
            moved = f" (redirected to {response.url})" \
                if normalize_url(response.url) != normalize_url(url) else ""
            checks.append(Check(subject, True, f"{url} answers the crawler with "
                                               f"{len(response.body):,} bytes{found}{moved}"))
    return checks


def _section_problems(kind: str, options: object, base: Path) -> list[str]:
    """What would stop one channel section: missing inputs, no Chromium, unset secrets."""
    problems = []
    for key in ("path", "agents_file", "site_dir"):
        value = getattr(options, key, None)
        if value:
            where = Path(value).expanduser()
            where = where if where.is_absolute() else base / where
            if not where.exists():
                problems.append(f"{key} = {value!r} does not exist ({where})")
    render = getattr(options, "render", None)
    needs_browser = (kind == "web" and render in ("auto", "always")) or \
        (kind == "social" and getattr(options, "kind", "") == "html")
    if needs_browser:
        from channels.render import DEFAULT_CHROMIUM, chromium_path

        binary = chromium_path(getattr(options, "chromium", None) or DEFAULT_CHROMIUM)
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            what = "JavaScript rendering (render = " + repr(render) + ")" if kind == "web" \
                else "kind \"html\""
            problems.append(f"{what} needs Chromium, not found at {binary}; install it "
                            f"(apt-get install chromium) or set `chromium` / "
                            f"BRAND_AUDIT_CHROMIUM" + (", or render = \"never\""
                                                       if kind == "web" else ""))
    token_env = getattr(options, "token_env", None)
    if token_env and not os.environ.get(token_env, "").strip():
        problems.append(f"token_env names {token_env}, which is not set in this environment")
    token_file = getattr(options, "token_file", None)
    if token_file:
        from auditor.secrets import SecretError, resolve_token

        try:
            resolve_token(token_env=None, token_file=token_file, base_dir=base, where="token")
        except SecretError as exc:
            problems.append(str(exc).split(": ", 1)[-1])
    return problems


def _store_check(path: Path) -> Check:
    from auditor.store import SCHEMA_VERSION, inspect_store

    if not path.exists():
        return Check("store", True, f"{path} does not exist yet; the first run creates it")
    if path.is_dir():
        return Check("store", False, f"{path} is a folder; point [audit] store at a file")
    try:
        info = inspect_store(path)
    except BrandAuditError as exc:
        return Check("store", False, exc.describe())
    if info["integrity"] != "ok":
        return Check("store", False, f"{path} is damaged (integrity_check: "
                                     f"{info['integrity'][:300]}); move it aside, the next run "
                                     f"starts a new one (its history is lost)")
    if not info["supported"]:
        by = f" by brand-audit {info['written_by']}" if info["written_by"] else ""
        return Check("store", False, f"{path} was written{by} with schema version "
                                     f"{info['schema_version']}; this brand-audit understands "
                                     f"up to {SCHEMA_VERSION}: upgrade brand-audit")
    version = info["schema_version"]
    state = "empty" if version is None else f"schema version {version}"
    if version is not None and version < SCHEMA_VERSION:
        state += f" (migrated to {SCHEMA_VERSION} on the next run)"
    return Check("store", True, f"{path}: integrity ok, {state}, "
                                f"{counted(info['runs'], 'run')}, "
                                f"{counted(info['vectors'], 'cached vector')}")
