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
    """Where the conversation went: a live chat, or a work order (or neither).

    ``reused``: the conversation already had that chat or open order (one conversation,
    at most one open order); ``added``: the question was added to that order;
    ``needs_contact``: the order has no way to reach the asker yet (a visitor who left no
    phone number), so the bot must ask for one before promising a notification.
    """

    work_order_id: int | None = None
    chat_id: int | None = None
    reused: bool = False
    added: bool = False
    needs_contact: bool = False
    phone_masked: str = ""


# handler(conversation, user, *, category: str, question: str, repeat: bool) -> Handoff
Handler = Callable[..., Handoff]
# contact(conversation, user, *, phone: str) -> Handoff (raises ValidationError on a bad number)
ContactHandler = Callable[..., Handoff]

_handler: Handler | None = None
_contact: ContactHandler | None = None


def register(handler: Handler, contact: ContactHandler | None = None) -> None:
    """Install the service desk's hand-off and its "leave a phone number" (idempotent: the
    last registration wins)."""
    global _handler, _contact
    _handler = handler
    _contact = contact


def hand_off(
    conversation, user, *, category: str = "", question: str = "", repeat: bool = False
) -> Handoff:
    """Give ``conversation`` to a person, in the caller's transaction. ``question`` is what
    was just asked (added to an open order unless ``repeat``: asked before in it)."""
    if _handler is None:
        return Handoff()
    return _handler(conversation, user, category=category, question=question, repeat=repeat)


def leave_contact(conversation, user, *, phone: str) -> Handoff:
    """Record the asker's phone number on the conversation's open order."""
    if _contact is None:
        return Handoff()
    return _contact(conversation, user, phone=phone)
