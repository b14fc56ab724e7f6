"""Property-based fuzzing of every parser brand-audit points at other people's text.

For each parser, random inputs and mutations of the real fixtures (bytes flipped, slices cut,
duplicated or spliced, brackets and tags piled up) must end in parsed touchpoints or the
documented error that names the file (``CollectionError``, ``InputError``, ``ConfigError``,
``BaselineError``, ``SitemapError``), never another exception or a hang (hypothesis' deadline).

Profiles: ``ci`` (default, ~50 examples per parser, the whole file well under a minute) and
``fuzz`` (``make fuzz``: 10,000 examples per parser). Inputs that once failed live in
``tests/fixtures/fuzz/<target>/`` and are replayed on every run (``test_regressions``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.config import load_config
from auditor.errors import BaselineError, ConfigError, InputError
from auditor.types import CollectionError, Touchpoint
from baselines import load_baseline
from channels import CollectContext
from channels.calls import CallsOptions
from channels.calls import collect as collect_calls
from channels.email import EmailOptions
from channels.email import collect as collect_email
from channels.files import FilesOptions
from channels.files import collect as collect_files
from channels.html import extract_page
from channels.sitemap import SitemapError, parse_sitemap
from channels.sms import SmsOptions
from channels.sms import collect as collect_sms
from channels.social import SocialOptions
from channels.social import collect as collect_social

FIXTURES = Path(__file__).parent / "fixtures"
CH = FIXTURES / "channels"
REGRESSIONS = FIXTURES / "fuzz"

_COMMON = dict(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.filter_too_much], print_blob=True)
# CI replays the same inputs every run (a red build always means a changed parser, never an
# unlucky draw); `make fuzz` explores new ones each time.
settings.register_profile("ci", max_examples=50, deadline=10_000, derandomize=True, **_COMMON)
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "10000")),
                          deadline=10_000, derandomize=False, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# -- inputs -----------------------------------------------------------------------------------

_TOKENS = [b"{", b"}", b"[", b"]", b'"', b",", b":", b"<", b">", b"</", b"<div>", b"-->",
           b"\n", b"\r\n", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"-->\n", b"WEBVTT\n",
           b"00:00:01.000 --> 00:00:02.000\n", b"Agent: ", b"\xd0", b"&#0;", b"&amp",
           b"<![CDATA[", b"<!DOCTYPE x [<!ENTITY e \"ee\">]>", b"&e;", b"From \n", b"\\",
           b"1e999", b"-0", b"null", b"NaN", b'"text":', b'"id":', b"=?utf-8?b?", b"\t",
           b"\xe2\x80\xae", "Оператор: ".encode(), b"<script>", b"[[", b"]]"]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed file after a few random edits, the kind of damage real files suffer."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "duplicate", "truncate", "pile",
                                   "nest"]))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(_TOKENS) | st.binary(max_size=16))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif op == "duplicate":
            end = min(len(data), at + draw(st.integers(1, 256)))
            data[at:at] = data[at:end] * draw(st.integers(1, 8))
        elif op == "truncate":
            del data[at:]
        elif op == "pile":  # deep nesting and long runs, cheap to make
            data[at:at] = draw(st.sampled_from(_TOKENS)) * draw(st.integers(1, 3000))
        elif op == "nest":  # deep nesting where a value starts (after `=`, `:` or `>`)
            marks = [i + 1 for i, b in enumerate(data) if b in b"=:>"]
            if marks:
                spot = marks[draw(st.integers(0, len(marks) - 1))]
                opener = draw(st.sampled_from([b"[", b"{", b"<a>", b'{"a":', b"[{}, "]))
                data[spot:spot] = opener * draw(st.integers(1, 5000))
    return bytes(data)


def inputs(*seed_files: Path) -> st.SearchStrategy[bytes]:
    """Mutated seeds, random bytes, and random text (Latin, Cyrillic, controls)."""
    seeds = [p.read_bytes() for p in seed_files]
    return st.one_of(
        mutated(seeds), mutated(seeds),  # weighted: mutations find more than noise
        st.binary(max_size=2048),
        st.text(max_size=1024).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )


@dataclass(frozen=True)
class Target:
    """One parser under fuzz: where the input goes and how it is read."""

    name: str
    file: str                         # file name the input is written to
    seeds: tuple[Path, ...]
    run: Callable[[Path, Path], list[object]]   # (folder, file) -> results


def _check_results(results: list[object], display: str) -> None:
    for item in results:
        assert isinstance(item, (Touchpoint, CollectionError)), type(item)
        if isinstance(item, CollectionError):
            assert item.error.strip(), "an error must say why"
            # The documented error names the input it is about (file, or file:line:col).
            assert display in item.source or display in item.error, (item.source, item.error)
        else:
            assert item.blocks is not None
            # Whatever the input, the copy can be hashed, embedded and written out.
            for text in (item.id, item.title, *(b.text for b in item.blocks)):
                text.encode("utf-8")


def _ctx(folder: Path) -> CollectContext:
    return CollectContext(base_dir=folder)


def _collected(collect: Callable[..., Iterator[object]], options: object, folder: Path,
               display: str) -> list[object]:
    results = list(collect(options, _ctx(folder)))
    _check_results(results, display)
    return results


def _social(kind: str) -> Callable[[Path, Path], list[object]]:
    def run(folder: Path, file: Path) -> list[object]:
        options = SocialOptions(kind=kind, path=file.name, respect_robots=False)
        return _collected(collect_social, options, folder, file.name)
    return run


def _calls(fmt: str) -> Callable[[Path, Path], list[object]]:
    def run(folder: Path, file: Path) -> list[object]:
        options = CallsOptions(path=file.name, format=fmt)
        return _collected(collect_calls, options, folder, file.name)
    return run


def _files(folder: Path, file: Path) -> list[object]:
    return _collected(collect_files, FilesOptions(path=file.name), folder, file.name)


def _email(folder: Path, file: Path) -> list[object]:
    return _collected(collect_email, EmailOptions(path=file.name), folder, file.name)


def _sms(folder: Path, file: Path) -> list[object]:
    return _collected(collect_sms, SmsOptions(path=file.name), folder, file.name)


def _html(folder: Path, file: Path) -> list[object]:
    text = file.read_bytes().decode("utf-8", errors="replace")
    page = extract_page(text, "https://fuzz.example/page")
    assert all(b.text.strip() for b in page.blocks)
    return [page]


def _sitemap(folder: Path, file: Path) -> list[object]:
    try:
        sitemap = parse_sitemap(file.read_bytes())
    except SitemapError as exc:
        assert str(exc)
        return []
    assert all(isinstance(u, str) for u in sitemap.pages + sitemap.sitemaps)
    return [sitemap]


def _config(folder: Path, file: Path) -> list[object]:
    (folder / "brand").mkdir(exist_ok=True)
    try:
        return [load_config(file)]
    except ConfigError as exc:
        assert str(file) in exc.describe()
        return []


def _baseline(folder: Path, file: Path) -> list[object]:
    exemplars = folder / "exemplars"
    exemplars.mkdir(exist_ok=True)
    (exemplars / "only.txt").write_text("Plant the garden you want. We help, step by step.\n")
    try:
        return [load_baseline(folder)]
    except BaselineError as exc:
        assert "brand.toml" in exc.describe() or str(folder) in exc.describe()
        return []


def _content_file(folder: Path, file: Path) -> list[object]:
    from channels.files import read_content_file

    try:
        return [read_content_file(file, file.name)]
    except InputError as exc:
        assert file.name in exc.describe()
        return []


SOCIAL = CH / "social"
CALLS = CH / "calls"
TARGETS = [
    Target("html", "page.html", (CH / "html" / "landing.html", CH / "site" / "about.html"),
           _html),
    Target("files-markdown", "post.md", tuple(sorted((CH / "files" / "content").rglob("*.md"))[:3]),
           _files),
    Target("files-html", "page.html", (CH / "html" / "landing.html",), _content_file),
    Target("social-jsonl", "posts.jsonl", (SOCIAL / "posts.jsonl",), _social("jsonl")),
    Target("social-csv", "posts.csv", (SOCIAL / "posts.csv",),
           _social("csv")),
    Target("social-x-archive", "tweets.js", (SOCIAL / "x-archive" / "data" / "tweets.js",),
           _social("x-archive")),
    Target("social-facebook", "your_posts_1.json", tuple(sorted(
        (SOCIAL / "facebook").rglob("*.json"))), _social("facebook-export")),
    Target("social-instagram", "posts_1.json", tuple(sorted(
        (SOCIAL / "instagram").rglob("*.json"))), _social("instagram-export")),
    Target("social-linkedin", "Shares.csv", (SOCIAL / "linkedin" / "Shares.csv",),
           _social("linkedin-export")),
    Target("social-rss", "feed.xml", (SOCIAL / "feed-rss.xml", SOCIAL / "feed-atom.xml"),
           _social("rss")),
    Target("social-telegram", "channel.html", (SOCIAL / "telegram" / "acme_news.html",),
           _social("telegram")),
    Target("calls-txt", "call.txt", (CALLS / "inbox" / "call-001.txt",), _calls("txt")),
    Target("calls-vtt", "call.vtt", (CALLS / "formats" / "support.vtt",), _calls("vtt")),
    Target("calls-srt", "call.srt", (CALLS / "formats" / "billing.srt",), _calls("srt")),
    Target("calls-whisper", "call.json", (CALLS / "formats" / "whisperx.json",
                                          CALLS / "formats" / "whisper-plain.json"),
           _calls("whisper")),
    Target("calls-aws", "call.json", (CALLS / "formats" / "aws.json",
                                      CALLS / "formats" / "aws-items.json"), _calls("aws")),
    Target("calls-deepgram", "call.json", (CALLS / "formats" / "deepgram.json",
                                           CALLS / "formats" / "deepgram-words.json"),
           _calls("deepgram")),
    Target("calls-assemblyai", "call.json", (CALLS / "formats" / "assemblyai.json",),
           _calls("assemblyai")),
    Target("calls-csv", "calls.csv", (CALLS / "formats" / "calls.csv",), _calls("csv")),
    Target("calls-auto", "call.json", (CALLS / "formats" / "aws.json",
                                       CALLS / "formats" / "zoom.vtt"), _calls("auto")),
    Target("email", "message.eml", tuple(sorted((CH / "email").glob("*.eml")))[:4], _email),
    Target("email-mbox", "archive.mbox", (CH / "email" / "archive.mbox",), _email),
    Target("sms", "export.csv", (CH / "sms" / "export.csv", CH / "sms" / "excel-ru.csv"), _sms),
    Target("sitemap", "sitemap.xml", (CH / "site" / "sitemap.xml",
                                      CH / "site" / "sitemap-pages.xml"), _sitemap),
    Target("config", "audit.toml", (FIXTURES / "config" / "valid.toml",
                                    SOCIAL / "audit.toml"), _config),
    Target("baseline", "brand.toml", (FIXTURES / "baselines" / "minimal" / "brand.toml",
                                      FIXTURES.parent.parent / "baselines" / "demo" /
                                      "brand.toml"), _baseline),
]
BY_NAME = {t.name: t for t in TARGETS}


#: Examples run per target in this process; ``make fuzz`` records them (FUZZ_COUNTS=file).
COUNTS: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _record_counts() -> Iterator[None]:
    yield  # written after every test, so an interrupted long run still shows how far it got
    out = os.environ.get("FUZZ_COUNTS")
    if out:
        Path(out).write_text(json.dumps(COUNTS, indent=1), encoding="utf-8")


def run_target(target: Target, data: bytes) -> list[object]:
    COUNTS[target.name] = COUNTS.get(target.name, 0) + 1
    folder = Path(tempfile.mkdtemp(prefix=f"fuzz-{target.name}-"))
    try:
        file = folder / target.file
        file.write_bytes(data)
        return target.run(folder, file)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _fuzz_test(target: Target) -> Callable[[], None]:
    def test(data: bytes) -> None:
        run_target(target, data)
    # A name of its own per target, before @given sees it: hypothesis keys its example
    # database (failures replayed first on the next run) by the test's name.
    test.__name__ = test.__qualname__ = "test_fuzz_" + target.name.replace("-", "_")
    test.__doc__ = f"Fuzz the {target.name} parser."
    return given(data=inputs(*target.seeds))(test)


for _target in TARGETS:
    _test = _fuzz_test(_target)
    globals()[_test.__name__] = _test


def test_seeds_parse_into_something():
    """The unmutated fixtures parse: the fuzzers start from inputs that reach deep code."""
    for target in TARGETS:
        assert target.seeds, target.name
        parsed = [r for seed in target.seeds for r in run_target(target, seed.read_bytes())
                  if not isinstance(r, CollectionError)]
        assert parsed, f"no seed of {target.name} parses"


def _regressions() -> list[tuple[str, Path]]:
    if not REGRESSIONS.is_dir():
        return []
    return [(case.parent.name, case) for case in sorted(REGRESSIONS.glob("*/*"))
            if case.is_file() and not case.name.startswith(".")]


@pytest.mark.parametrize(("target", "case"), _regressions(),
                         ids=[f"{t}/{c.name}" for t, c in _regressions()])
def test_regressions(target: str, case: Path):
    """Inputs that once crashed or hung a parser, kept so they never do again."""
    run_target(BY_NAME[target], case.read_bytes())
