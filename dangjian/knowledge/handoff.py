"""转人工: how the bot hands a conversation to a person, without knowing who does.

The knowledge app owns the bot; the service desk (``dangjian.desk``) owns live chats and
work orders. The desk registers its handler here when it starts (``DeskConfig.ready``),
so the dependency runs one way — the desk knows the knowledge base, never the reverse —
and the bot never writes a desk table. Without a handler (the desk not installed) the
bot only records that the asker wants a person.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Handoff:
    """Where the conversation went: a live chat, or a work order (or neither)."""

    work_order_id: int | None = None
    chat_id: int | None = None


Handler = Callable[..., Handoff]  # handler(conversation, user, *, category: str) -> Handoff

_handler: Handler | None = None


def register(handler: Handler) -> None:
    """Install the service desk's hand-off (idempotent: the last registration wins)."""
    global _handler
    _handler = handler


def hand_off(conversation, user, *, category: str = "") -> Handoff:
    """Give ``conversation`` to a person, in the caller's transaction."""
    if _handler is None:
        return Handoff()
    return _handler(conversation, user, category=category)
