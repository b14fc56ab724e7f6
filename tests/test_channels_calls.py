"""Call transcripts: roles, agent ids, timestamps, continuation lines, bad files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from auditor.types import CollectionError, Touchpoint
from channels import CollectContext
from channels.calls import CallsOptions, collect

FIXTURES = Path(__file__).parent / "fixtures" / "channels"
CTX = CollectContext(base_dir=FIXTURES)


def run(path: str, **options) -> list[Touchpoint | CollectionError]:
    return list(collect(CallsOptions(path=path, **options), CTX))


def test_folder_collects_good_calls_and_reports_bad_ones():
    results = run("calls/inbox")
    touchpoints = [r for r in results if isinstance(r, Touchpoint)]
    errors = [r for r in results if isinstance(r, CollectionError)]
    assert [t.id for t in touchpoints] == ["calls:calls/inbox/call-001.txt",
                                           "calls:calls/inbox/call-002.txt"]
    assert [e.source for e in errors] == ["calls/inbox/corrupt.txt:2", "calls/inbox/no-agent.txt"]
    corrupt, no_agent = errors
    assert "line 2 has no speaker" in corrupt.error and "Speaker: text" in corrupt.error
    assert "no agent turns" in no_agent.error and "Customer, IVR" in no_agent.error
    assert all(e.channel == "calls" for e in errors)


def test_turns_roles_timestamps_and_continuations():
    (call,) = run("calls/inbox/call-001.txt")
    assert call.channel == "calls"
    assert call.title == "Call 2024-05-14-0031"
    assert call.language == "en"
    assert call.captured_at == datetime(2024, 5, 14)
    assert dict(call.metadata) == {"agent_id": "anna-petrova", "call_id": "2024-05-14-0031",
                                   "language": "en", "date": "2024-05-14", "format": "txt"}
    turns = [(b.scope, b.scored, b.speaker, b.locator.line, b.locator.start_ms, b.text)
             for b in call.blocks]
    assert turns == [
        ("call.agent.turn", True, "Agent Anna", 6, 3000,
         "Good morning, Acme support, this is Anna. How can I help?"),
        ("call.customer.turn", False, "Customer", 8, 7000,
         "Hi, my order has not arrived. It was due on Monday. Note: I paid for express."),
        ("call.agent.turn", True, "Agent Anna", 11, 62500,
         "I am sorry about that. Let me check it for you right now."),
        ("call.customer.turn", False, "Caller", 12, 3723000, "Thanks."),
    ]
    first = call.blocks[0].locator
    assert (first.source, first.column, first.end_ms) == ("calls/inbox/call-001.txt", 24, 7000)
    assert [b.text for b in call.scored_blocks] == [call.blocks[0].text, call.blocks[2].text]


def test_agent_id_from_label_and_language_detection():
    _, call, *_ = run("calls/inbox")
    assert call.metadata["agent_id"] == "мария"
    assert call.metadata["call_id"] == "call-002"
    assert call.language == "ru"
    assert [b.scope for b in call.blocks] == ["call.agent.turn", "call.customer.turn",
                                              "call.agent.turn"]
    assert call.blocks[0].locator.start_ms is None


def test_bare_agent_label_gives_unknown_agent_and_options_change_roles():
    (call,) = run("calls/single")
    assert call.metadata["agent_id"] == "unknown"
    # No label is an agent's: "Operator" opens like an agent, so the roles are guessed.
    (guessed,) = run("calls/single", agent_speakers=["Rep"])
    assert [b.scope for b in guessed.blocks] == ["call.agent.turn", "call.customer.turn"]
    assert guessed.metadata["role_guess"] == "true"
    assert "'Operator'" in guessed.metadata["role_note"]
    assert "thanks for calling" in guessed.metadata["role_note"].lower()
    results = run("calls/single", agent_speakers=["Rep"], guess_roles=False)
    assert isinstance(results[0], CollectionError)
    assert "Operator" in results[0].error and "'Rep'" in results[0].error
    (call,) = run("calls/inbox/no-agent.txt", agent_speakers=["IVR"])
    assert [b.scored for b in call.blocks] == [False, True]


def test_missing_path():
    (error,) = run("calls/none")
    assert isinstance(error, CollectionError) and "does not exist" in error.error
