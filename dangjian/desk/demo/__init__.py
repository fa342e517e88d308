"""Demo data of the 12371 service desk (``make demo``), through the services.

The hotline's five-option voice menu; a few members' conversations with the bot on the
last evening (some answered, some handed off); a few items of the 问题优化清单; and
thirteen weeks of the service desk — work orders from every channel in every state,
coordination, ratings, live chats, canned replies. Runs after the knowledge base's demo
(the bot answers from its published entries). Deterministic from ``seed``; running it
twice adds nothing the second time.

The package, by section: ``base`` (the period, the people it draws on, and how past
timestamps are set: "The 12371 service desk"), ``offices`` (业务处室 and 常用答复),
``contacts`` (the period's conversations, calls, messages and chats), ``lifecycle`` (an
order's life), ``backlog`` (what is still open at "now"), ``script`` (the texts).
"""

import datetime as dt
import random
import time

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings

from dangjian.demo import clock
from dangjian.desk.demo.backlog import _backlog, _close_the_week
from dangjian.desk.demo.base import (
    DEMO_DAYS,
    QuietSmsBackend,
    _backdate_order,
    _desk,
    _members,
)
from dangjian.desk.demo.contacts import _timeline
from dangjian.desk.demo.offices import _canned, _offices
from dangjian.desk.demo.script import (
    FEEDBACK,
    IVR_MENU,
    QUESTIONS,
)
from dangjian.desk.models import (
    CannedReply,
    IvrOption,
    PlatformFeedback,
    WorkOrder,
)
from dangjian.desk.services import feedback as feedback_services
from dangjian.desk.services import ivr
from dangjian.knowledge import demo as kb_demo
from dangjian.knowledge.models import (
    Conversation,
)
from dangjian.knowledge.services import bot
from dangjian.orgs.models import Organisation

__all__ = ["DEMO_DAYS", "seed"]


def seed(*, root_user, seed: int, progress) -> None:
    root = Organisation.objects.get_root_nodes().first()
    if root is None:
        return
    if not IvrOption.objects.filter(org=root).exists():
        ivr.ivr_menu_replace(acting_user=root_user, org=root, options=IVR_MENU)
    _offices(root, root_user)
    _conversations(seed, progress)
    _feedback(seed)
    _service_desk(root, root_user, seed, progress)


def _conversations(seed: int, progress) -> None:
    """A few members' questions on the last evening before the demo's "now" (handed-off
    ones wait in the queue as new orders)."""
    if Conversation.objects.exists():
        return
    rng = random.Random(seed)
    answered = handed = 0
    for number, user in enumerate(_members(seed, 6)):
        conversation = None
        when = clock.now() - dt.timedelta(hours=3 * (6 - number))
        for question in rng.sample(QUESTIONS, 2):
            result = bot.ask(user=user, question=question, conversation=conversation)
            kb_demo.backdate_turn(result, when, first=conversation is None)
            conversation = result.conversation
            when += dt.timedelta(minutes=2)
            if result.handed_off:
                handed += 1
                order = WorkOrder.objects.filter(pk=result.work_order_id).first()
                if order is not None and order.created_at > when:
                    _backdate_order(order, when, restarted=True)
                continue
            answered += 1
            bot.message_feedback(message=result.message, helpful=rng.random() < 0.85)
    progress(f"智能问答演示会话：已答 {answered} 问，转人工 {handed} 问")


def _feedback(seed: int) -> None:
    if PlatformFeedback.objects.exists():
        return
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    for user, (kind, text, status) in zip(_members(seed + 1, 3), FEEDBACK, strict=False):
        item = feedback_services.feedback_submit(user=user, kind=kind, text=text)
        if status != "received":
            feedback_services.feedback_set_status(
                acting_user=admin, item=item, status=status, reply="已纳入优化计划"
            )


def _service_desk(root: Organisation, root_user, seed: int, progress) -> None:
    """The desk's period in one transaction (all or nothing; the canned replies, written
    first, mark it done)."""
    if CannedReply.objects.filter(org=root).exists():
        return
    started = time.monotonic()
    with (
        override_settings(SMS_BACKEND=f"{QuietSmsBackend.__module__}.QuietSmsBackend"),
        transaction.atomic(),
    ):
        desk = _desk(root, root_user, seed)
        _canned(desk)
        for when, _n, job, job_seed in sorted(_timeline(desk)):
            job(desk, when, random.Random(job_seed))
        _backlog(desk)
        _close_the_week(desk)
    tally = desk.tally
    progress(
        f"12371 服务台：智能问答 {tally['conversations']} 次会话（转人工 {tally['handoffs']} 次），"
        f"工单 {WorkOrder.objects.count()} 件，在线人工 {tally['chats']} 次，"
        f"用时 {time.monotonic() - started:.1f} 秒"
    )
