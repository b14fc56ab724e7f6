"""Core types are typed, immutable data; exit codes are 0 ok, 1 gate failed, 2 usage (issue 2)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from auditor import errors, types
from auditor.types import AuditRun, Block, Finding, Locator, Touchpoint, TouchpointResult


def _run() -> AuditRun:
    block = Block("Fast fibre at home.", "web.p", Locator("https://x.example/", css="p"))
    tp = Touchpoint("web:1", "web", "https://x.example/", "Home", "en", (block,))
    finding = Finding("respect.shouting", "warning", "Shouting", "Fast", span=(0, 4))
    result = TouchpointResult(tp, 80.0, "ok", (finding,))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return AuditRun("r1", now, now, "baselines/x", "hashing-256", "0", (result,), (), (), (),
                    80.0)


def test_every_core_type_is_a_frozen_dataclass() -> None:
    classes = [c for c in vars(types).values()
               if isinstance(c, type) and c.__module__ == types.__name__]
    assert {"Touchpoint", "Block", "Locator", "Finding", "AuditRun"} <= {c.__name__
                                                                          for c in classes}
    for cls in classes:
        assert dataclasses.is_dataclass(cls), cls
        assert cls.__dataclass_params__.frozen, f"{cls.__name__} is mutable"


def test_values_cannot_be_changed_and_sequences_are_tuples() -> None:
    run = _run()
    result = run.results[0]
    for obj, attr in ((run, "score"), (result, "status"), (result.touchpoint, "blocks"),
                      (result.touchpoint.blocks[0], "text"), (result.findings[0], "rule"),
                      (result.touchpoint.blocks[0].locator, "line")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, attr, None)
    assert isinstance(run.results, tuple) and isinstance(result.findings, tuple)
    assert isinstance(result.touchpoint.blocks, tuple)
    assert hash(result.touchpoint.blocks[0]) == hash(result.touchpoint.blocks[0])


def test_exit_codes() -> None:
    assert (errors.EXIT_OK, errors.EXIT_GATE_FAILED, errors.EXIT_USAGE) == (0, 1, 2)
    for cls in (errors.ConfigError, errors.BaselineError, errors.InputError, errors.ToolError):
        assert cls("x").exit_code == errors.EXIT_USAGE


def test_lone_surrogates_become_replacement_characters() -> None:
    """Half of a UTF-16 pair (an export's "\\ud83d", a file name that is not UTF-8) cannot be
    encoded, hashed or embedded; copy keeps U+FFFD in its place, a whole emoji stays."""
    from auditor.types import Block, CollectionError, Locator, Touchpoint

    block = Block("Faster plans \ud83d for the same price 😀", "social.post",
                  Locator("caf\udce9.md"))
    assert block.text == "Faster plans \ufffd for the same price 😀"
    assert block.locator.source == "caf\ufffd.md"
    tp = Touchpoint(id="files:caf\udce9.md", channel="files", source="caf\udce9.md",
                    title="Menu \udc80", language="en", blocks=(block,),
                    metadata={"author": "J\udce9r\u00f4me", "n": "1"})
    assert (tp.id, tp.source, tp.title) == ("files:caf\ufffd.md", "caf\ufffd.md", "Menu \ufffd")
    assert tp.metadata == {"author": "J\ufffdr\u00f4me", "n": "1"}
    error = CollectionError(source="caf\udce9.md", error="cannot read caf\udce9.md")
    assert "\ufffd" in error.source and "\ufffd" in error.error
    for text in (block.text, tp.id, tp.title, error.error):
        text.encode("utf-8")


def test_an_export_with_half_an_emoji_is_collected_and_can_be_embedded(tmp_path) -> None:
    from auditor.embedding import text_key
    from auditor.types import Touchpoint
    from channels import CollectContext
    from channels.social import SocialOptions, collect

    (tmp_path / "posts.jsonl").write_text(
        '{"id": "1", "text": "Our plans are faster \\ud83d for the same price, every day."}\n',
        encoding="utf-8")
    (post,) = [r for r in collect(SocialOptions(kind="jsonl", path="posts.jsonl"),
                                  CollectContext(base_dir=tmp_path)) if isinstance(r, Touchpoint)]
    assert "\ufffd" in post.blocks[0].text
    text_key(post.blocks[0].text)  # the vector cache's key: raised UnicodeEncodeError
