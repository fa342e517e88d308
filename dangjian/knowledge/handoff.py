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
    phone number), so the bot must ask for one before promising a notification;
    ``waiting``: the chat waits in the queue for a free agent; ``number``: the order's
    public number (GD…), the one the asker is told and looks up.
    """

    work_order_id: int | None = None
    number: str = ""
    chat_id: int | None = None
    reused: bool = False
    added: bool = False
    needs_contact: bool = False
    phone_masked: str = ""
    waiting: bool = False


# handler(conversation, user, *, category: str, question: str, repeat: bool) -> Handoff
Handler = Callable[..., Handoff]
# contact(conversation, user, *, phone: str) -> Handoff (raises ValidationError on a bad number)
ContactHandler = Callable[..., Handoff]


@dataclass(frozen=True)
class LookupCode:
    """A visitor's order number and its look-up code (shown once, never stored plain)."""

    work_order_id: int
    number: str
    code: str


# open_chat(conversation) -> the id of its live chat, waiting or active (None without one)
OpenChat = Callable[..., int | None]
# chat_url(chat_id) -> the page where the asker chats with the agent
ChatUrl = Callable[[int], str]

_handler: Handler | None = None
_contact: ContactHandler | None = None
_open_chat: OpenChat | None = None
_chat_url: ChatUrl | None = None
_lookup_code: Callable[..., LookupCode] | None = None
_contact_needed: Callable[..., bool] | None = None


def register(handler: Handler, contact: ContactHandler | None = None) -> None:
    """Install the service desk's hand-off and its "leave a phone number" (idempotent: the
    last registration wins)."""
    global _handler, _contact
    _handler = handler
    _contact = contact


def register_chat(open_chat: OpenChat, chat_url: ChatUrl) -> None:
    """Install how the bot learns that a live chat is open (what the asker types then goes
    to the agent, not to the bot) and where the asker's chat page is."""
    global _open_chat, _chat_url
    _open_chat = open_chat
    _chat_url = chat_url


def register_lookup(issue: Callable[..., LookupCode], needed: Callable[..., bool]) -> None:
    """Install the visitor's 查询码 (``issue(conversation, user)``) and the test whether a
    visitor's order still has no way to reach them (``needed(conversation)``)."""
    global _lookup_code, _contact_needed
    _lookup_code = issue
    _contact_needed = needed


def lookup_code(conversation, user) -> LookupCode | None:
    return _lookup_code(conversation, user) if _lookup_code is not None else None


def contact_needed(conversation) -> bool:
    """A visitor's open order nobody can reach yet (no confirmed phone, no look-up code)."""
    if _contact_needed is None or conversation is None or conversation.pk is None:
        return False
    return _contact_needed(conversation)


def open_chat(conversation) -> int | None:
    """The conversation's live chat (waiting or active), if any."""
    if _open_chat is None or conversation is None or conversation.pk is None:
        return None
    return _open_chat(conversation)


def chat_url(chat_id: int) -> str:
    return _chat_url(chat_id) if _chat_url is not None else ""


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
