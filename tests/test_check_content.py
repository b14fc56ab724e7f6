"""`brand-audit check` on content in a repository: formats, key paths, positions, suppression
comments and changed-lines-only in a real (temporary) git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.content import (
    check_content,
    collect_paths,
    find_suppressions,
    key_path_matches,
    parse_key_paths,
    rule_matches,
    structured_blocks,
    structured_fields,
)
from auditor.errors import InputError
from baselines import DEMO_BASELINE, load_baseline
from tests.conftest import FIXTURES

CI = FIXTURES / "ci" / "content"
KEYS = ("hero.title", "pages.*.body", "footer.note")


def brand_audit(*args: str, cwd: Path | None = None, env: dict | None = None
                ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def findings_by_line(report: dict) -> dict[str, list[tuple[int, int, str]]]:
    out: dict[str, list[tuple[int, int, str]]] = {}
    for tp in report["touchpoints"]:
        out[Path(tp["source"]).name] = sorted(
            (f["locator"]["line"], f["locator"]["column"], f["rule"]) for f in tp["findings"])
    return out


@pytest.fixture(scope="module")
def demo_baseline():
    return load_baseline(DEMO_BASELINE)


@pytest.fixture(scope="module")
def checked(demo_baseline):
    return check_content([CI], demo_baseline, None, keys=KEYS, base_dir=Path.cwd())


def test_key_paths() -> None:
    assert parse_key_paths("hero.title, pages.*.body,") == ("hero.title", "pages.*.body")
    assert key_path_matches(("pages", "0", "body"), "pages.*.body")
    assert key_path_matches(("pages", "home", "body"), "pages.*.body")
    assert not key_path_matches(("pages", "0", "meta", "body"), "pages.*.body")
    assert key_path_matches(("pages", "0", "meta", "body"), "pages.**.body")
    assert key_path_matches(("title",), "**.title")
    assert key_path_matches(("hero", "title_en"), "hero.title*")
    with pytest.raises(InputError, match="empty segment"):
        parse_key_paths("hero..title")


def test_yaml_fields_have_the_value_position() -> None:
    text = (CI / "site.yaml").read_text()
    fields = {f.key: (f.line, f.column) for f in structured_fields(text, "site.yaml", ".yaml")}
    assert fields["hero.title"] == (3, 11)        # inside the quotes
    assert fields["hero.subtitle"] == (5, 13)     # plain scalar
    assert fields["pages.0.body"] == (9, 7)       # block scalar: its first line of text
    assert fields["pages.1.body"] == (13, 11)
    lines = text.splitlines()
    assert lines[2][10:].startswith("Buy now") and lines[8][6:].startswith("Our prices")


def test_json_fields_best_effort_positions() -> None:
    text = (CI / "site.json").read_text()
    fields = {f.key: (f.line, f.column) for f in structured_fields(text, "site.json", ".json")}
    assert fields["hero.title"] == (3, 15)
    assert text.splitlines()[2][14:].startswith("Buy now")
    assert fields["pages.0.body"][0] == 7


def test_without_keys_only_prose_fields_are_read() -> None:
    text = (CI / "site.yaml").read_text()
    texts = [b.text for b in structured_blocks(text, "site.yaml", ".yaml")]
    assert "hero-autumn-sale-banner.jpg" not in texts and "pricing" not in texts
    assert "Fibre at home with a price that stays the same." in texts
    selected = [b.text for b in structured_blocks(text, "site.yaml", ".yaml", ("hero.title",))]
    assert selected == ["Buy now, LAST CHANCE!!!"]


def test_broken_yaml_and_json_name_the_line() -> None:
    with pytest.raises(InputError) as info:
        structured_fields((CI / "broken.yaml").read_text(), "broken.yaml", ".yaml")
    assert info.value.source == "broken.yaml" and info.value.line
    with pytest.raises(InputError) as info:
        structured_fields('{\n  "a": "b",\n}\n', "x.json", ".json")
    assert info.value.line == 3 and "JSON" in info.value.message


def test_suppression_comment_syntax() -> None:
    found = find_suppressions((CI / "landing.md").read_text(), ".md")
    assert [(s.rules, s.line, s.scope) for s in found] == [
        (("respect.pressure",), 15, "next"), (("respect.guilt",), 20, "line")]
    assert found[0].reason.startswith("campaign wording approved by legal")
    mdx = find_suppressions((CI / "page.mdx").read_text(), ".mdx")
    assert [(s.rules, s.scope) for s in mdx] == [(("respect.false_urgency",), "next")]
    assert find_suppressions("# brand-audit: ignore-file terms, respect\n", ".yaml")[0].rules == (
        "terms", "respect")
    # In Markdown a hash line is a heading, not a comment.
    assert find_suppressions("# brand-audit: ignore respect\n", ".md") == []
    assert rule_matches("respect.pressure", "respect")
    assert rule_matches("respect.pressure", "respect.*")
    assert not rule_matches("respectful.tone", "respect")


def test_every_format_with_line_and_column(checked) -> None:
    by_file = findings_by_line(checked.report)
    # Markdown: front matter (line 4) and the fenced code (line 12) are never copy.
    assert all(line not in (4, 12) for line, _, _ in by_file["landing.md"])
    assert (18, 42, "respect.pressure") in by_file["landing.md"]
    assert (18, 50, "respect.false_urgency") in by_file["landing.md"]
    assert (8, 1, "respect.pressure") in by_file["page.mdx"]
    assert (8, 19, "respect.guilt") in by_file["page.html"]
    assert (3, 29, "respect.pressure") in by_file["notes.txt"]
    assert (10, 18, "respect.guilt") in by_file["site.yaml"]
    assert (3, 15, "respect.pressure") in by_file["site.json"]
    for name, rows in by_file.items():
        assert all(line and column for line, column, _ in rows), name
    errors = {Path(e["source"]).name: e["error"] for e in checked.report["errors"]}
    assert "line 4" in errors["broken.yaml"] and "YAML" in errors["broken.yaml"]


def test_phrase_positions_point_at_the_phrase(checked) -> None:
    for tp in checked.report["touchpoints"]:
        lines = (Path.cwd() / tp["source"]).read_text().splitlines()
        for f in tp["findings"]:
            if f["rule"] in ("respect.pressure", "respect.guilt"):
                at = lines[f["locator"]["line"] - 1][f["locator"]["column"] - 1:]
                phrase = f["message"].split("“")[1].split("”")[0]
                assert at.lower().startswith(phrase.lower()), (tp["source"], f["locator"], at)


def test_inline_suppressions_are_reported_as_waived(checked) -> None:
    tps = {Path(tp["source"]).name: tp for tp in checked.report["touchpoints"]}
    waived = {name: sorted((f["rule"], f["waiver"]["where"].split(":")[-1])
                           for f in tp.get("waived", [])) for name, tp in tps.items()}
    assert ("respect.pressure", "15") in waived["landing.md"]   # the next block
    assert ("respect.guilt", "20") in waived["landing.md"]      # the same line
    assert not any(f["rule"] == "respect.pressure" and f["locator"]["line"] == 16
                   for f in tps["landing.md"]["findings"])
    assert tps["ignore_file.md"]["findings"] == []             # ignore-file, by prefix
    assert {f["rule"] for f in tps["ignore_file.md"]["waived"]} >= {"respect.pressure"}
    assert ("respect.false_urgency", "5") in waived["page.mdx"]
    assert ("respect.pressure", "12") in waived["site.yaml"]
    reason = next(f["waiver"]["reason"] for f in tps["landing.md"]["waived"]
                  if f["rule"] == "respect.pressure")
    assert "MKT-412" in reason
    assert tps["ignore_file.md"]["status"] == "ok" and tps["ignore_file.md"]["score"] == 100.0
    assert checked.report["summary"]["waived"] == sum(len(v) for v in waived.values())


# -- changed lines only ---------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "site"
    (repo / "content").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ci@example.com")
    git(repo, "config", "user.name", "CI")
    (repo / "content" / "offer.md").write_text(
        "# Offer\n\nBuy now or you'll regret it.\n\nFibre at home for the family.\n")
    (repo / "content" / "old.md").write_text("# Old\n\nLAST CHANCE!!! Buy now.\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "content")
    return repo


def test_changed_since_reports_only_findings_on_changed_lines(repo) -> None:
    offer = repo / "content" / "offer.md"
    offer.write_text("# Offer\n\nBuy now or you'll regret it.\n\n"
                     "Fibre at home. Only 2 hours left to sign up.\n")
    (repo / "content" / "new.md").write_text("# New\n\nWhat are you waiting for?\n")
    result = brand_audit("check", "content", "--baseline", str(DEMO_BASELINE),
                         "--no-embeddings", "--changed-since", "HEAD", "--format", "json",
                         cwd=repo)
    report = json.loads(result.stdout)
    sources = sorted(tp["source"] for tp in report["touchpoints"])
    assert sources == ["content/new.md", "content/offer.md"]  # old.md did not change
    by_file = {tp["source"]: tp for tp in report["touchpoints"]}
    offer = by_file["content/offer.md"]
    offer_rules = [(f["rule"], f["locator"]["line"]) for f in offer["findings"]]
    assert offer_rules == [("respect.false_urgency", 5)]   # line 3 is old: not reported
    assert report["summary"]["outside_changes"] == 2
    assert by_file["content/offer.md"]["status"] == "warn"
    assert [f["rule"] for f in by_file["content/new.md"]["findings"]] == ["respect.pressure"]
    assert result.returncode == 1  # new.md's pressure diverges


def test_changed_since_with_nothing_changed_passes(repo) -> None:
    result = brand_audit("check", "content", "--baseline", str(DEMO_BASELINE),
                         "--no-embeddings", "--changed-since", "HEAD", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 touchpoints" in result.stdout


def test_changed_since_against_an_older_commit_and_bad_refs(repo) -> None:
    git(repo, "commit", "-q", "--allow-empty", "-m", "empty")
    (repo / "content" / "old.md").write_text("# Old\n\nLAST CHANCE!!! Buy now.\n\nBuy now.\n")
    git(repo, "commit", "-q", "-am", "more")
    result = brand_audit("check", "content", "--baseline", str(DEMO_BASELINE),
                         "--no-embeddings", "--changed-since", "HEAD~2", "--format", "json",
                         cwd=repo)
    report = json.loads(result.stdout)
    [tp] = report["touchpoints"]
    assert [(f["rule"], f["locator"]["line"]) for f in tp["findings"]] == [
        ("respect.pressure", 5)]
    bad = brand_audit("check", "content", "--baseline", str(DEMO_BASELINE), "--no-embeddings",
                      "--changed-since", "no-such-branch", cwd=repo)
    assert bad.returncode == 2 and "no-such-branch" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_folder_of_yaml_without_keys_says_how_to_read_it(tmp_path) -> None:
    (tmp_path / "page.yaml").write_text('hero:\n  title: "Plant the garden you want"\n')
    _, errors, _ = collect_paths([tmp_path], base_dir=tmp_path)
    assert len(errors) == 1 and "read with --keys" in errors[0].error
    (tmp_path / "page.yaml").unlink()
    (tmp_path / "notes.csv").write_text("a,b\n")
    _, errors, _ = collect_paths([tmp_path], base_dir=tmp_path)
    assert len(errors) == 1 and "--keys" not in errors[0].error  # no YAML: no such advice
