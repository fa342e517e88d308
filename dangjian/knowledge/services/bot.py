"""The bot: answer a question from the published base, offer candidates, or hand off.

Split from ``services.kb`` (the base's writes): the bot only reads entries and writes
conversation turns. Turns are not written to the audit log one by one: the Message rows
are themselves the dated record of who asked what; one audit entry per turn records
what was answered, never the text.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, notify
from dangjian.core.crypto import mask_phone
from dangjian.core.errors import raise_if
from dangjian.knowledge import compute, handoff
from dangjian.knowledge.compute import Computed, ComputedDates
from dangjian.knowledge.models import (
    Channel,
    Conversation,
    Entry,
    EntryStatus,
    Feedback,
    Message,
    MessageRole,
)
from dangjian.knowledge.retrieval.normalize import normalize

ASK_MIN, ASK_MAX = 2, 500
ASK_K = 8  # hits asked of the engine (some may be expired or retired since indexing)
CANDIDATES_SHOWN = 3
CANDIDATE_MIN = 0.01  # a pair probability below this is no "您是不是想问" worth showing
MSG_ASK_EMPTY = "请输入您的问题"
MSG_ASK_LONG = f"问题不能超过{ASK_MAX}个字"
MSG_ASK_SHORT = f"问题太短，请说得具体一些（至少{ASK_MIN}个字），例如：党费怎么交？"
MSG_NOT_ANSWERABLE = "该条目已停用或不在有效期内"
MSG_NOT_BOT_ANSWER = "只能评价智能应答的回复"
MSG_NOT_SURE = "这个问题我还没有把握回答，为避免答错，已为您转人工服务。"
MSG_SUGGEST = "您是不是想问下面的问题？点一下即可查看答案；都不是的话，请点“都不是，转人工”。"
MSG_REJECTED = "都不是，转人工"
# Typed instead of clicked: the asker wants a person (normalised forms).
HANDOFF_WORDS = frozenset(
    {"都不是", "都不是 转人工", "转人工", "我要转人工", "人工", "人工服务", "找人工"}
)
ANSWERED, SUGGEST, HANDED_OFF = "answered", "suggest", "handed_off"
MSG_HANDOFF_ORDER = "已为您登记咨询工单（编号 {id}），工作人员会尽快答复，答复后会通知您。"
MSG_ASK_PHONE = (
    "请留下您的手机号码（短信验证），答复后我们会短信通知您；"
    "也可以不留号码，获取查询码，凭工单号和查询码在“咨询查询”页面查看答复。"
)
MSG_HANDOFF_ORDER_VISITOR = "已为您登记咨询工单（编号 {id}），工作人员会尽快答复。" + MSG_ASK_PHONE
MSG_HANDOFF_ORDER_PHONE = (
    "已为您登记咨询工单（编号 {id}），工作人员会尽快答复，答复后会短信通知 {phone}。"
)
MSG_HANDOFF_REPEAT = "这个问题已在工单（编号 {id}）中登记，工作人员会尽快答复，无需重复提交。"
MSG_HANDOFF_ADDED = "您的新问题已补充到工单（编号 {id}），工作人员会一并答复。"
MSG_HANDOFF_CHAT = "已为您接通人工坐席，请稍候。"
MSG_HANDOFF_CHAT_AGAIN = "人工坐席正在为您服务，您的问题已转给坐席。"
MSG_HANDOFF_QUEUE = "人工坐席正忙，已为您排队，请稍候，坐席接入后会马上回复您。"
MSG_HANDOFF_PENDING = "已记录您的问题，工作人员会尽快答复。"
MSG_CONTACT_NO_ORDER = "该会话没有待答复的工单"
MSG_CODE_SENT = "验证码已发送至 {phone}，5 分钟内有效，请填写短信中的6位验证码。"
MSG_LOOKUP_STORED = "已为工单（{number}）生成查询码（只显示一次，请记下）。"
MSG_LOOKUP_SHOWN = (
    "工单号 {number}，查询码 {code}。请记下（只显示这一次），"
    "凭工单号和查询码可在“咨询查询”页面查看答复。"
)
CONTACT_PURPOSE = "consult-contact"
MSG_CONTACT_SAVED = "已记录您的手机号码 {phone}，工单（编号 {id}）答复后会短信通知您。"


@dataclass(frozen=True)
class Candidate:
    entry_id: int
    question: str
    confidence: float


@dataclass
class AskResult:
    """What one question got: an answer, candidates to choose from, or a hand-off."""

    conversation: Conversation
    message: Message
    answer: str
    confidence: float
    entry: Entry | None = None
    candidates: list[Candidate] = field(default_factory=list)
    handed_off: bool = False
    work_order_id: int | None = None
    chat_id: int | None = None

    computed: Computed | ComputedDates | None = None
    needs_contact: bool = False
    lookup_number: str = ""
    lookup_code: str = ""  # shown once to the visitor; only its hash is stored

    @property
    def entry_id(self) -> int | None:
        return self.entry.pk if self.entry is not None else None

    @property
    def outcome(self) -> str:
        """answered (an answer), suggest (您是不是想问: candidates, nobody involved yet) or
        handed_off (a person takes over)."""
        if self.handed_off:
            return HANDED_OFF
        return SUGGEST if self.candidates else ANSWERED

    @property
    def source(self) -> str:
        if self.computed is not None:
            return self.computed.source
        return self.entry.source if self.entry is not None else ""

    def as_json(self) -> dict:
        return {
            "outcome": self.outcome,
            "answer": self.answer,
            "confidence": round(self.confidence, 4),
            "entry_id": self.entry_id,
            "source": self.source,
            "computed": self.computed.as_json() if self.computed is not None else None,
            "needs_contact": self.needs_contact,
            "lookup_number": self.lookup_number,
            "lookup_code": self.lookup_code,
            "candidates": [
                {
                    "entry_id": c.entry_id,
                    "question": c.question,
                    "confidence": round(c.confidence, 4),
                }
                for c in self.candidates
            ],
            "handed_off": self.handed_off,
            "conversation_id": self.conversation.pk,
            "message_id": self.message.pk,
            "work_order_id": self.work_order_id,
            "chat_id": self.chat_id,
        }


def asker_branch(user):
    """The branch the asker is a member of now (None for a visitor or a user without a
    member record): where their conversations and feedback belong in the tree."""
    member = getattr(user, "member", None) if getattr(user, "is_authenticated", False) else None
    return member.branch if member is not None else None


def conversation_start(*, user, channel: str = Channel.WEB) -> Conversation:
    """A new conversation for ``user`` (None or anonymous: a visitor)."""
    asker = user if getattr(user, "is_authenticated", False) else None
    return Conversation.objects.create(user=asker, channel=channel, org=asker_branch(asker))


def answerable(entry_ids, day: dt.date | None = None) -> dict[int, Entry]:
    """The entries among ``entry_ids`` the bot may answer with today (published, valid)."""
    day = day or timezone.localdate()
    entries = Entry.objects.filter(pk__in=list(entry_ids), status=EntryStatus.PUBLISHED)
    return {e.pk: e for e in entries if e.is_valid_on(day)}


def _clean_question(question: str, *, minimum: int = ASK_MIN) -> str:
    """The question on one line, refused when empty, too long, or shorter than ``minimum``:
    one character cannot be looked up, nor summarised for a person (a turn relayed to a
    live chat may be as short as 好)."""
    text = " ".join((question or "").split())
    if not text:
        raise_if({"question": MSG_ASK_EMPTY})
    if len(text) < minimum:
        raise_if({"question": MSG_ASK_SHORT})
    if len(text) > ASK_MAX:
        raise_if({"question": MSG_ASK_LONG})
    return text


def _handoff(
    conversation: Conversation, user, category: str = "", question: str = "", repeat: bool = False
) -> handoff.Handoff:
    """Hand the conversation to a person (the service desk, through ``handoff``)."""
    result = handoff.hand_off(
        conversation, user, category=category, question=question, repeat=repeat
    )
    conversation.handed_off_at = timezone.now()
    conversation.save(update_fields=["handed_off_at", "updated_at"])
    return result


def _handoff_text(result: handoff.Handoff) -> str:
    """What the asker is told: where the question went, and — only once someone can be
    notified — that they will be."""
    if result.chat_id is not None:
        if result.reused:
            return MSG_HANDOFF_CHAT_AGAIN
        return MSG_HANDOFF_QUEUE if result.waiting else MSG_HANDOFF_CHAT
    if result.work_order_id is None:
        return MSG_HANDOFF_PENDING
    order = result.number or result.work_order_id
    if result.reused and result.added:
        text = MSG_HANDOFF_ADDED.format(id=order)
    elif result.reused:
        text = MSG_HANDOFF_REPEAT.format(id=order)
    elif result.needs_contact:
        return MSG_HANDOFF_ORDER_VISITOR.format(id=order)
    elif result.phone_masked:
        return MSG_HANDOFF_ORDER_PHONE.format(id=order, phone=result.phone_masked)
    else:
        return MSG_HANDOFF_ORDER.format(id=order)
    if result.needs_contact:
        text += MSG_ASK_PHONE
    return text


def _bot_reply(conversation, **fields) -> Message:
    return Message.objects.create(conversation=conversation, role=MessageRole.BOT, **fields)


@transaction.atomic
def conversation_post(*, conversation: Conversation, role: str, text: str) -> Message:
    """A turn someone other than the bot adds to a conversation (a live chat's agent or
    asker, the desk's notice that the chat ended)."""
    message = Message.objects.create(conversation=conversation, role=role, text=text)
    conversation.save(update_fields=["updated_at"])
    return message


def _audit_turn(user, action: str, result: "AskResult") -> None:
    """One audit entry per bot turn: what was answered (the text stays in the message)."""
    conversation = result.conversation
    audit.record(
        actor=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        obj=conversation,
        org=conversation.org,
        after={
            "message": result.message.pk,
            "entry": result.entry.pk if result.entry is not None else None,
            "confidence": round(result.confidence, 3),
            "handed_off": result.handed_off,
            "work_order": result.work_order_id,
            "chat": result.chat_id,
        },
    )


def ask(
    *,
    user,
    question: str = "",
    conversation: Conversation | None = None,
    channel: str = Channel.WEB,
    entry: Entry | None = None,
    engine=None,
) -> AskResult:
    """Answer ``question`` from the published base, offer candidates, or hand off.

    ``entry`` (a candidate the asker clicked) answers with that entry. Below the
    engine's calibrated threshold the bot never guesses: between the engine's lower bound
    and the threshold it lists what it thinks the question might be and asks (no work
    order); below the lower bound, or when the asker types 转人工/都不是, a person takes
    over.

    The engine is fetched before the transaction opens: a process's first question
    loads (or builds) its index, which must not hold the database's write lock.
    """
    if engine is None and entry is None:
        from dangjian.knowledge import index

        engine = index.live().get()
    with transaction.atomic():
        relayed = _relay_to_chat(user, question, conversation, entry)
        if relayed is not None:
            return relayed
        result = _answer(
            user=user,
            question=question,
            conversation=conversation,
            channel=channel,
            entry=entry,
            engine=engine,
        )
        _audit_turn(user, "consult.ask", result)
    return result


def _relay_to_chat(user, question, conversation, entry) -> AskResult | None:
    """While a live chat is open, what the asker types goes to the agent, not the bot:
    the turn is added to the conversation (the chat's transcript) and the bot stays
    silent."""
    if entry is not None or conversation is None:
        return None
    chat_id = handoff.open_chat(conversation)
    if chat_id is None:
        return None
    message = conversation_post(
        conversation=conversation, role=MessageRole.USER, text=_clean_question(question, minimum=1)
    )
    return AskResult(conversation, message, "", 0.0, handed_off=True, chat_id=chat_id)


def _answer(*, user, question, conversation, channel, entry, engine) -> AskResult:
    if entry is not None:
        if entry.pk not in answerable([entry.pk]):
            raise_if({"entry_id": MSG_NOT_ANSWERABLE})
        question = entry.question
    question = _clean_question(question)
    conversation = conversation or conversation_start(user=user, channel=channel)
    if entry is None and normalize(question) in HANDOFF_WORDS:
        return _to_person(user, conversation, question)
    repeat = _asked_before(conversation, question)
    Message.objects.create(conversation=conversation, role=MessageRole.USER, text=question)
    if entry is not None:
        message = _bot_reply(
            conversation, text=entry.answer, entry=entry, confidence=1.0, confident=True
        )
        return AskResult(conversation, message, entry.answer, 1.0, entry=entry)
    computed = compute.dues(question) or compute.dates(question, timezone.localdate())
    if computed is not None:
        text = f"{computed.text}\n\n来源：{computed.source}"
        message = _bot_reply(conversation, text=text, confidence=1.0, confident=True)
        return AskResult(conversation, message, text, 1.0, computed=computed)
    found = engine.ask(question, k=ASK_K)
    live = answerable(h.id for h in found.candidates)
    hits = [h for h in found.candidates if h.id in live]
    best = hits[0] if hits else None
    # The calibrated answer confidence speaks for the engine's own top entry only: if that
    # entry may no longer be answered (retired or expired since indexing), do not guess.
    survived = best is not None and found.best is not None and best.id == found.best.id
    confidence = found.confidence if survived else (best.confidence if best else 0.0)
    if survived and found.confident:
        chosen = live[best.id]
        message = _bot_reply(
            conversation, text=chosen.answer, entry=chosen, confidence=confidence, confident=True
        )
        return AskResult(conversation, message, chosen.answer, confidence, entry=chosen)
    candidates = [
        Candidate(h.id, live[h.id].question, h.confidence)
        for h in hits[:CANDIDATES_SHOWN]
        if h.confidence >= CANDIDATE_MIN
    ]
    if candidates and confidence >= getattr(engine, "lower", 0.0):
        message = _bot_reply(
            conversation,
            text=MSG_SUGGEST,
            confidence=confidence,
            candidates=[c.__dict__ for c in candidates],
        )
        return AskResult(conversation, message, MSG_SUGGEST, confidence, candidates=candidates)
    closest = live[hits[0].id].category if hits else ""
    went = _handoff(conversation, user, closest, question=question, repeat=repeat)
    return _handed_off(conversation, went, MSG_NOT_SURE + _handoff_text(went), confidence)


def _handed_off(conversation, went: handoff.Handoff, text: str, confidence=None) -> AskResult:
    """The hand-off turn (``confidence`` None: asked for, not a gap in the base)."""
    message = _bot_reply(conversation, text=text, confidence=confidence, handed_off=True)
    return AskResult(
        conversation,
        message,
        text,
        confidence or 0.0,
        handed_off=True,
        work_order_id=went.work_order_id,
        chat_id=went.chat_id,
        needs_contact=went.needs_contact,
    )


def _pending(conversation: Conversation) -> tuple[str, str]:
    """The question the latest bot turn offered 您是不是想问 for, and the category of its
    first suggestion (``("", "")`` unless that turn is still waiting for a choice)."""
    turns = list(conversation.messages.order_by("-pk")[:2])
    if len(turns) < 2 or turns[0].role != MessageRole.BOT or not turns[0].candidates:
        return "", ""
    if turns[0].handed_off or turns[1].role != MessageRole.USER:
        return "", ""
    first = answerable([turns[0].candidates[0]["entry_id"]])
    return turns[1].text, next(iter(first.values())).category if first else ""


def _asked_before(conversation: Conversation, question: str) -> bool:
    """The same question (in its matching form) was asked earlier in this conversation."""
    if conversation.pk is None:
        return False
    key = normalize(question)
    earlier = conversation.messages.filter(role=MessageRole.USER).values_list("text", flat=True)
    return any(normalize(text) == key for text in earlier)


def _to_person(user, conversation: Conversation, said: str) -> AskResult:
    """A person takes over; a question the asker was offered 您是不是想问 for (and rejected)
    goes with the hand-off, so the order carries it."""
    pending, category = _pending(conversation)
    went = _handoff(conversation, user, category, question=pending)
    Message.objects.create(conversation=conversation, role=MessageRole.USER, text=said)
    return _handed_off(conversation, went, _handoff_text(went))


@transaction.atomic
def conversation_handoff(*, user, conversation: Conversation, rejected: bool = False) -> AskResult:
    """转人工: the asker asks for a person at any point of the conversation (``rejected``:
    by answering 都不是 to the suggestions offered)."""
    result = _to_person(user, conversation, MSG_REJECTED if rejected else "转人工")
    _audit_turn(user, "consult.handoff", result)
    return result


def _contact_open(conversation: Conversation) -> None:
    if conversation.handed_off_at is None or not handoff.contact_needed(conversation):
        raise_if({"conversation_id": MSG_CONTACT_NO_ORDER})


@transaction.atomic
def conversation_contact(
    *, user, conversation: Conversation, phone: str, code: str = ""
) -> AskResult:
    """A visitor leaves a phone number for the reply to the conversation's open order,
    confirmed by an SMS code before it is stored: without ``code`` a code is texted to
    the number; with it, the number is stored if the code matches."""
    _contact_open(conversation)
    try:
        if not (code or "").strip():
            phone = notify.sms_code_issue(phone, CONTACT_PURPOSE)
            return _contact_turn(
                user, conversation, MSG_CODE_SENT.format(phone=mask_phone(phone)), phone
            )
        notify.sms_code_verify(phone, CONTACT_PURPOSE, code)
    except notify.SmsCodeError as exc:
        field = "phone" if not (code or "").strip() else "code"
        raise_if({field: str(exc)})
    went = handoff.leave_contact(conversation, user, phone=phone)
    if went.work_order_id is None:
        raise_if({"conversation_id": MSG_CONTACT_NO_ORDER})
    Message.objects.create(
        conversation=conversation, role=MessageRole.USER, text=f"留下手机号码 {went.phone_masked}"
    )
    text = MSG_CONTACT_SAVED.format(phone=went.phone_masked, id=went.number or went.work_order_id)
    message = _bot_reply(conversation, text=text, handed_off=True)
    result = AskResult(
        conversation, message, text, 0.0, handed_off=True, work_order_id=went.work_order_id
    )
    _audit_turn(user, "consult.contact", result)
    return result


def _contact_turn(user, conversation, text: str, phone: str) -> AskResult:
    """The bot's word that a code was texted (the number masked in the record)."""
    message = _bot_reply(conversation, text=text, handed_off=True)
    result = AskResult(conversation, message, text, 0.0, handed_off=True, needs_contact=True)
    _audit_turn(user, "consult.contact_code", result)
    return result


@transaction.atomic
def conversation_lookup_code(*, user, conversation: Conversation) -> AskResult:
    """A visitor who leaves no number gets the order's number and a look-up code for the
    public 咨询查询 page: the code is in the answer returned, never in the stored turn."""
    _contact_open(conversation)
    issued = handoff.lookup_code(conversation, user)
    if issued is None:
        raise_if({"conversation_id": MSG_CONTACT_NO_ORDER})
    Message.objects.create(conversation=conversation, role=MessageRole.USER, text="获取查询码")
    stored = MSG_LOOKUP_STORED.format(number=issued.number)
    message = _bot_reply(conversation, text=stored, handed_off=True)
    shown = MSG_LOOKUP_SHOWN.format(number=issued.number, code=issued.code)
    result = AskResult(
        conversation,
        message,
        shown,
        0.0,
        handed_off=True,
        work_order_id=issued.work_order_id,
        lookup_number=issued.number,
        lookup_code=issued.code,
    )
    _audit_turn(user, "consult.lookup_code", result)
    return result


@transaction.atomic
def message_feedback(*, message: Message, helpful: bool) -> Message:
    """有用/没用 on a bot answer (a later click replaces the earlier one)."""
    if message.role != MessageRole.BOT:
        raise_if({"message_id": MSG_NOT_BOT_ANSWER})
    before = message.feedback
    message.feedback = Feedback.HELPFUL if helpful else Feedback.UNHELPFUL
    message.save(update_fields=["feedback"])
    audit.record(
        actor=message.conversation.user,  # only the asker may give feedback (selectors)
        action="consult.feedback",
        obj=message,
        org=message.conversation.org,
        before={"feedback": before},
        after={"feedback": message.feedback},
    )
    return message
