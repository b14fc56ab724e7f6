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
