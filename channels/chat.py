"""Chat transcripts (support chat, messenger exports): one conversation is one touchpoint.

The same formats, roles, agent ids and masking as call transcripts (``channels.calls``): a
``Speaker: text`` text file per chat, or a CSV export with one message per row and a
conversation id column (``call_id_column``, e.g. ``"conversation_id"``), or captions/JSON.
Agent messages are ``chat.agent.turn`` (scored); customer messages ``chat.customer.turn``
(context, never scored). Touchpoints are ``chat:<path>`` or ``chat:<path>#<conversation id>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from channels import ChannelKind, CollectContext, CollectResult
from channels.calls import CallsOptions, collect_conversations


@dataclass(frozen=True)
class ChatOptions(CallsOptions):
    """``[[channels.chat]]``: chat transcripts; every key of ``[[channels.calls]]`` applies."""

    #: Glob pattern(s) for chat export file names in a folder.
    pattern: str | list[str] = field(default_factory=lambda: ["*.txt", "*.csv", "*.json"])
    #: Speaker labels of the company's side in chat exports.
    agent_speakers: list[str] = field(default_factory=lambda: [
        "Agent", "Support", "Operator", "Оператор", "Поддержка", "Менеджер"])
    #: Speaker labels of the other side.
    customer_speakers: list[str] = field(default_factory=lambda: [
        "Customer", "Client", "User", "Visitor", "Клиент", "Посетитель", "Пользователь"])


def collect(options: ChatOptions, ctx: CollectContext) -> Iterator[CollectResult]:
    """One touchpoint per conversation; a malformed export is a ``CollectionError``."""
    yield from collect_conversations(options, ctx, channel="chat")


KIND = ChannelKind(
    name="chat",
    options=ChatOptions,
    collect=collect,
    description="Chat transcripts (text, CSV, JSON exports); agent messages are scored",
)
