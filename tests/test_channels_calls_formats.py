"""Transcript formats, roles, agents and privacy in the calls and chat channels.

Each fixture under ``tests/fixtures/channels/calls/formats`` is written to its format's published
description (WebVTT voice tags, SubRip, WhisperX, AWS Transcribe, Deepgram, AssemblyAI, CSV);
the tests check the turns, speakers, roles and times they parse to.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from auditor.config import ConfigError, build_options
from auditor.embedding import HashingEmbedder
from auditor.engine import audit
from auditor.types import CollectionError, Touchpoint
from baselines import DEMO_BASELINE, load_baseline
from channels import CollectContext, channel_kinds
from channels.calls import CallsOptions, assign_roles, collect
from channels.chat import ChatOptions
from channels.chat import collect as collect_chat
from channels.transcripts import Turn, detect_format, parse_transcripts

FIXTURES = Path(__file__).parent / "fixtures" / "channels"
FORMATS = FIXTURES / "calls" / "formats"
CTX = CollectContext(base_dir=FIXTURES)


def run(path: str, **options) -> list[Touchpoint | CollectionError]:
    return list(collect(CallsOptions(path=path, **options), CTX))


def one(path: str, **options) -> Touchpoint:
    (result,) = run(path, **options)
    assert isinstance(result, Touchpoint), result
    return result


def turns(call: Touchpoint) -> list[tuple[str, str | None, str]]:
    return [(b.scope.split(".")[1], b.speaker, b.text) for b in call.blocks]


@pytest.mark.parametrize(("name", "expected"), [
    ("support.vtt", "vtt"), ("zoom.vtt", "vtt"), ("billing.srt", "srt"),
    ("whisperx.json", "whisper"), ("whisper-plain.json", "whisper"), ("aws.json", "aws"),
    ("aws-items.json", "aws"), ("deepgram.json", "deepgram"),
    ("deepgram-words.json", "deepgram"), ("assemblyai.json", "assemblyai"),
    ("calls.csv", "csv"),
])
def test_format_is_detected_from_content(name, expected):
    assert detect_format((FORMATS / name).read_text(encoding="utf-8")) == expected


def test_txt_with_bracketed_timestamps_is_not_json():
    text = (FIXTURES / "calls" / "inbox" / "no-agent.txt").read_text(encoding="utf-8")
    assert text.startswith("[00:01]") and detect_format(text) == "txt"


def test_webvtt_voice_tags_split_merge_and_times():
    call = one("calls/formats/support.vtt")
    assert call.metadata["format"] == "vtt" and call.metadata["agent_id"] == "anna"
    assert "role_guess" not in call.metadata
    assert turns(call) == [
        ("agent", "Agent Anna", "Good morning, Acme support, this is Anna. How can I help?"),
        ("customer", "Customer",
         "My router light is red and the internet is down. I work from home & need it."),
        ("agent", "Agent Anna", "I understand, let me check your line. Your line is fine; "
                                "I'm sending a new router today, free of charge."),
    ]
    first, _, last = call.blocks
    assert (first.locator.line, first.locator.start_ms, first.locator.end_ms) == (10, 1000, 6000)
    assert (last.locator.start_ms, last.locator.end_ms) == (9100, 62250)
    assert [b.scored for b in call.blocks] == [True, False, True]


def test_webvtt_name_prefixes_and_a_one_off_note_stays_text():
    call = one("calls/formats/zoom.vtt", company_names=["Acme"])
    assert [(role, speaker) for role, speaker, _ in turns(call)] == [
        ("agent", "Anna Petrova"), ("customer", "Ivan Sidorov"),
        ("agent", "Anna Petrova"), ("customer", "Ivan Sidorov")]
    assert call.blocks[2].text == ("Of course. Note: the change starts tomorrow. "
                                   "and there is no fee for it.")
    # Real names in the labels: the guessed agent's name is their id.
    assert call.metadata["agent_id"] == "anna-petrova"
    assert call.metadata["role_guess"] == "true"
    assert "'Anna Petrova'" in call.metadata["role_note"] and "Acme" in call.metadata["role_note"]


def test_srt_prefixes_brackets_and_continuation():
    call = one("calls/formats/billing.srt")
    assert call.language == "ru" and call.metadata["format"] == "srt"
    assert turns(call) == [
        ("agent", "Оператор", "Добрый день, компания «Акме», меня зовут Мария."),
        ("customer", "Клиент", "Здравствуйте, мне пришёл двойной счёт."),
        ("agent", "Оператор",
         "Сейчас проверю, одну минуту. Вижу ошибку, деньги вернём в течение пяти дней."),
        ("customer", "Клиент", "Спасибо!"),
    ]
    assert [b.locator.line for b in call.blocks] == [3, 7, 11, 20]
    assert call.blocks[2].locator.start_ms == 9200 and call.blocks[2].locator.end_ms == 16800


def test_whisperx_speakers_word_level_fallback_and_guess_by_company_name():
    call = one("calls/formats/whisperx.json", company_names=["Сосна"])
    assert call.language == "ru"
    assert turns(call) == [
        ("agent", "SPEAKER_01", "Компания «Сосна», меня зовут Ольга. Чем могу помочь?"),
        ("customer", "SPEAKER_00", "Здравствуйте, у меня с утра нет интернета."),
        ("agent", "SPEAKER_01",
         "Понимаю, сейчас посмотрю вашу линию. В вашем районе авария, починим примерно за "
         "два часа."),
        ("customer", "SPEAKER_00", "Спасибо."),
    ]
    assert call.blocks[2].locator.start_ms == 7600 and call.blocks[2].locator.end_ms == 13400
    # A diariser's label is not a person: the id must come from elsewhere.
    assert call.metadata["agent_id"] == "unknown"
    assert "greet with the company name 'Сосна'" in call.metadata["role_note"]


def test_whisper_without_speakers_is_a_clear_error():
    (error,) = run("calls/formats/whisper-plain.json")
    assert isinstance(error, CollectionError)
    assert error.source == "calls/formats/whisper-plain.json"
    assert "no speaker labels" in error.error and "WhisperX" in error.error


def test_aws_transcribe_speaker_segments_and_punctuation():
    call = one("calls/formats/aws.json", agent_speakers=["spk_1"])
    assert "role_guess" not in call.metadata
    assert turns(call) == [
        ("agent", "spk_1", "Acme support, this is Mark."),
        ("customer", "spk_0", "I've been on hold for an hour."),
        ("agent", "spk_1", "Sorry about that."),
    ]
    assert [(b.locator.start_ms, b.locator.end_ms) for b in call.blocks] == [
        (440, 2310), (4870, 6880), (8490, 9240)]


def test_aws_items_with_speaker_labels_and_outbound_guess():
    call = one("calls/formats/aws-items.json", direction="outbound")
    assert call.language == "en"
    assert turns(call) == [("customer", "spk_0", "Hello?"),
                           ("agent", "spk_1", "Hi, this is Acme calling about your repair.")]
    assert "speak second on an outbound call" in call.metadata["role_note"]
    # Inbound, the first speaker would be taken: the option matters.
    inbound = one("calls/formats/aws-items.json")
    assert turns(inbound)[0][0] == "agent"


def test_deepgram_utterances_and_words():
    call = one("calls/formats/deepgram.json", agent_speakers=["speaker 0"])
    assert turns(call) == [
        ("agent", "speaker 0", "Thank you for calling Acme, my name is Olga. How can I help?"),
        ("customer", "speaker 1", "Hi, I'd like to cancel my contract."),
        ("agent", "speaker 0", "Of course, I can do that for you. There is no fee."),
    ]
    words = one("calls/formats/deepgram-words.json", agent_speakers=["speaker 0"])
    assert turns(words) == [("agent", "speaker 0", "Hello, Acme support."),
                            ("customer", "speaker 1", "Hi there.")]
    assert words.blocks[0].locator.start_ms == 100 and words.blocks[0].locator.end_ms == 1300


def test_assemblyai_utterances_in_milliseconds():
    call = one("calls/formats/assemblyai.json", agent_speakers=["A"])
    assert call.language == "en"
    assert turns(call) == [("agent", "A", "Good afternoon, Acme, this is Anna."),
                           ("customer", "B", "Hello, my bill looks wrong."),
                           ("agent", "A", "Let's look at it together.")]
    assert call.blocks[1].locator.start_ms == 3400


def test_csv_holds_many_calls_in_time_order_with_agents_and_masking():
    first, second = run("calls/formats/calls.csv")
    assert [first.id, second.id] == ["calls:calls/formats/calls.csv#C-100",
                                     "calls:calls/formats/calls.csv#C-101"]
    assert first.metadata["agent_id"] == "olga" and first.metadata["date"] == "2024-06-03"
    assert second.metadata["agent_id"] == "unknown"
    assert turns(first) == [
        ("agent", "Agent", "Good morning, Acme, this is Olga."),
        ("customer", "Customer", "My number changed, it's now [phone]."),
        ("agent", "Agent", "Thank you, I've updated it; we'll e-mail [email] to confirm."),
    ]
    assert [b.locator.line for b in first.blocks] == [2, 3, 5]
    assert [b.locator.start_ms for b in second.blocks] == [500, 3000, 6250]


def test_csv_column_names_are_options():
    results = list(collect_chat(ChatOptions(
        path="chat/conversations.csv", call_id_column="conversation_id", speaker_column="author",
        text_column="message", start_column="timestamp"), CTX))
    assert [r.id for r in results] == ["chat:chat/conversations.csv#chat-1",
                                       "chat:chat/conversations.csv#chat-2"]
    chat = results[0]
    assert chat.channel == "chat" and chat.title == "Chat chat-1"
    assert [(b.scope, b.scored) for b in chat.blocks] == [("chat.customer.turn", False),
                                                          ("chat.agent.turn", True)]
    # Dates and times become offsets from the conversation's first message.
    assert [b.locator.start_ms for b in chat.blocks] == [0, 30000]
    (error,) = list(collect_chat(ChatOptions(path="chat/conversations.csv"), CTX))
    assert "no 'speaker' column" in error.error and "author" in error.error


def test_format_override_reads_a_file_as_told():
    # Forced to plain text, a WebVTT file is not a transcript: the first line has no speaker.
    (error,) = run("calls/formats/support.vtt", format="txt")
    assert isinstance(error, CollectionError) and error.source.endswith("support.vtt:1")
    (error,) = run("calls/formats/deepgram.json", format="whisper")
    assert "`segments` must be a list" in error.error


@pytest.mark.parametrize(("name", "line", "words"), [
    ("cues.vtt", 6, "a WebVTT cue needs a timing line"),
    ("subs.srt", 5, "not a valid SubRip block"),
    ("truncated.json", 4, "not valid JSON"),
    ("calls.csv", 4, "'start' is 'soon'"),
])
def test_corrupt_file_names_file_and_line_and_the_rest_is_collected(name, line, words):
    results = run("calls/broken")
    errors = {e.source: e.error for e in results if isinstance(e, CollectionError)}
    assert words in errors[f"calls/broken/{name}:{line}"]
    collected = {r.id for r in results if isinstance(r, Touchpoint)}
    # The good transcript and the good call of the broken CSV are kept.
    assert collected == {"calls:calls/broken/good.txt", "calls:calls/broken/calls.csv#C-201"}


def test_csv_error_names_the_call():
    results = run("calls/broken/calls.csv")
    (error,) = [r for r in results if isinstance(r, CollectionError)]
    assert error.error.startswith("call 'C-200': line 4")


def test_roles_from_pattern_and_agent_from_pattern_group():
    call = one("calls/formats/aws.json", agent_pattern=r"^spk_(?P<agent>1)$")
    assert call.metadata["agent_id"] == "1"
    assert [b.scored for b in call.blocks] == [True, False, True]


def test_no_guessing_when_disabled_and_a_known_customer_with_no_agent_cue():
    (error,) = run("calls/formats/aws.json", guess_roles=False)
    assert "no agent turns" in error.error and "guess_roles = true" in error.error
    (error,) = run("calls/inbox/no-agent.txt")  # Customer + IVR "Please hold.": no guess
    assert "no agent turns" in error.error


def test_speaker_label_matches_a_configured_label_as_a_whole_word():
    options = CallsOptions(path=".", agent_speakers=["spk_1", "Agent"])
    labels = ["spk_1", "spk_10", "Agent1", "Agent Anna", "Agents"]
    roles, note = assign_roles(tuple(Turn(label, "hello") for label in labels), options)
    assert note is None
    # "spk_1" must not claim "spk_10"; "Agent" covers "Agent1" and "Agent Anna", not "Agents".
    assert roles == {"spk_1": "agent", "spk_10": "other", "Agent1": "agent",
                     "Agent Anna": "agent", "Agents": "other"}


def test_agent_from_filename_and_agents_file(tmp_path):
    call = one("calls/formats/whisperx.json", agent_from_filename=r"^(?P<agent>whisper)x")
    assert call.metadata["agent_id"] == "whisper"
    results = run("calls/agents", agents_file="calls/agents.csv")
    by_call = {r.metadata["call_id"]: r.metadata["agent_id"] for r in results}
    assert by_call == {"call-a": "vera", "call-b": "vera", "call-c": "rex", "call-d": "rex",
                       "call-e1": "sam", "call-e2": "sam"}
    bad = tmp_path / "agents.csv"
    bad.write_text("agent,who\nx,y\n", encoding="utf-8")
    (error,) = list(collect(CallsOptions(path=str(FORMATS / "zoom.vtt"),
                                         agents_file=str(bad)), CTX))
    assert error.source == f"{bad}:1" and "needs an `agent_id` column" in error.error


@pytest.mark.parametrize(("table", "key", "words"), [
    ({"format": "docx"}, "channels.calls[0]", "unknown format 'docx'"),
    ({"agent_from_filename": "(?P<who>x)"}, "channels.calls[0]", "named group `agent`"),
    ({"agent_pattern": "(unclosed"}, "channels.calls[0]", "not a valid regular expression"),
    ({"direction": "sideways"}, "channels.calls[0]", "inbound or outbound"),
])
def test_bad_options_are_config_errors(table, key, words):
    options = channel_kinds()["calls"].options
    with pytest.raises(ConfigError) as caught:
        build_options(options, {"path": "x", **table}, "audit.toml", "",
                      prefix="channels.calls[0].")
    assert caught.value.key == key and words in caught.value.message


def test_masking_can_be_switched_off():
    first, _ = run("calls/formats/calls.csv", mask_personal_data=False)
    assert "+7 (912) 345-67-89" in first.blocks[1].text


def test_every_channel_kind_is_registered():
    assert {"calls", "chat", "email", "sms"} <= set(channel_kinds())


def test_rude_agent_is_last_and_model_agent_first_when_scored():
    results = run("calls/agents", agents_file="calls/agents.csv")
    calls = [r for r in results if isinstance(r, Touchpoint)]
    assert len(calls) == 6 and not [r for r in results if isinstance(r, CollectionError)]
    run_ = audit(calls, [], load_baseline(DEMO_BASELINE), HashingEmbedder())
    ranked = sorted(run_.agents, key=lambda a: a.score if a.score is not None else 101)
    assert [a.agent_id for a in ranked][0] == "rex"
    assert [a.agent_id for a in ranked][-1] == "vera"
    assert {a.agent_id: a.status for a in run_.agents}["rex"] == "diverges"
    # Consistency across agents, not only against the baseline: the spread of their scores.
    scores = [a.score for a in run_.agents if a.score is not None]
    assert run_.context["agent_spread"] == round(statistics.pstdev(scores), 1) > 10
    rude_rules = {f.rule for r in run_.results if r.touchpoint.agent_id == "rex"
                  for f in r.findings}
    assert {"respect.rudeness"} <= rude_rules
    model_rules = {f.rule for r in run_.results if r.touchpoint.agent_id == "vera"
                   for f in r.findings}
    assert not any(rule.startswith("respect") for rule in model_rules)
    # Customer turns are context: a customer's words never become findings.
    customer_texts = {b.text for c in calls for b in c.blocks if not b.scored}
    assert not any(f.evidence in customer_texts for r in run_.results for f in r.findings)


def test_parse_transcripts_reports_unknown_format():
    (error,) = parse_transcripts("Agent: hi", "docx")
    assert "unknown transcript format 'docx'" in str(error)


def test_csv_quote_left_open_names_its_line_and_the_other_calls_are_kept(tmp_path):
    (tmp_path / "calls.csv").write_text(
        'call_id,speaker,text,start\nC-1,Agent,"Good morning, Acme, this is Olga.",0\n'
        'C-1,Customer,"My router is down.,4\nC-2,Agent,"Hello, Acme support.",0\n'
        'C-2,Customer,"Hi, my bill is wrong.",3\nC-2,Agent,"Let me look.",6\n',
        encoding="utf-8")
    results = list(collect(CallsOptions(path="calls.csv", agent_speakers=["Agent"]),
                           CollectContext(base_dir=tmp_path)))
    errors = [r for r in results if isinstance(r, CollectionError)]
    assert [e.source for e in errors] == ["calls.csv:3"]
    assert "a quote is not closed" in errors[0].error
    calls = {r.metadata["call_id"]: turns(r) for r in results if isinstance(r, Touchpoint)}
    assert calls["C-1"] == [("agent", "Agent", "Good morning, Acme, this is Olga.")]
    # The open quote ran into line 4 before it broke: that turn went with the bad record.
    assert calls["C-2"] == [("customer", "Customer", "Hi, my bill is wrong."),
                            ("agent", "Agent", "Let me look.")]


@pytest.mark.parametrize(("text", "expected"), [
    ("call_id;speaker;text\nC-1;Agent;Hello, Acme, how can I help?\n", ";"),
    ('"a, b";c|d|e\n1|2|3\n', "|"),  # a delimiter inside quotes does not count
    ("\ufeffcall_id\tspeaker\ttext\n", "\t"),
    ("text\nHello, world\n", ","),  # one column: the default
])
def test_the_header_row_gives_the_csv_delimiter(text, expected):
    from channels.transcripts import csv_delimiter

    assert csv_delimiter(text) == expected
