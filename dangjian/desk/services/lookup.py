"""查询码: a visitor who leaves no phone number reads the answer on the public page.

The bot hands a visitor's question to a work order; nobody can notify a visitor who
left no confirmed phone number, so they are given the order's number and a look-up
code, shown once. Only an Argon2 hash of the code is kept (like a password); issuing a
new code replaces the old. The public look-up form (``views.public``) is rate-limited
per address and per order number, and answers a wrong number and a wrong code alike.
"""

import re
import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction

from dangjian.core import audit
from dangjian.core.errors import raise_if
from dangjian.desk.models import OPEN_STATUSES, WorkOrder
from dangjian.knowledge import handoff as kb_handoff

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud, typed on a phone
CODE_LENGTH = 8

MSG_LOOKUP_FAILED = "工单号或查询码不正确"
MSG_LOOKUP_NUMBER = "请填写工单号（如 GD20261207000123）"
MSG_LOOKUP_CODE = f"请填写{CODE_LENGTH}位查询码"
MSG_NO_VISITOR_ORDER = "该会话没有待答复的访客工单"

_NUMBER = re.compile(r"^(?:GD(\d{8}))?(\d{1,12})$")


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _clean_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").upper()


@transaction.atomic
def lookup_code_issue(*, order: WorkOrder, acting_user=None, ip: str | None = None) -> str:
    """A fresh look-up code for a visitor's order (returned once; its hash is stored)."""
    if order.asker_id is not None:
        raise_if({"order": MSG_NO_VISITOR_ORDER})
    code = _new_code()
    WorkOrder.objects.filter(pk=order.pk).update(lookup_digest=make_password(code))
    audit.record(
        actor=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        action="consult.order.lookup_code",
        obj=order,
        org=order.org,
        ip=ip,
    )
    return code


def order_lookup(*, number: str, code: str) -> WorkOrder:
    """The order a number and its look-up code name (a refusal names no cause)."""
    number = re.sub(r"\s", "", number or "").upper()
    code = _clean_code(code)
    errors = {}
    match = _NUMBER.match(number)
    if match is None:
        errors["number"] = MSG_LOOKUP_NUMBER
    if len(code) != CODE_LENGTH:
        errors["code"] = MSG_LOOKUP_CODE
    raise_if(errors)
    day, pk = match.groups()
    order = WorkOrder.objects.filter(pk=int(pk)).exclude(lookup_digest="").first()
    same_day = order is not None and (day is None or order.number == number)
    if not same_day or not check_password(code, order.lookup_digest):
        raise_if({"code": MSG_LOOKUP_FAILED})
    return order


def _visitor_order(conversation) -> WorkOrder | None:
    if conversation.user_id is not None:
        return None
    return conversation.work_orders.filter(status__in=OPEN_STATUSES, asker__isnull=True).first()


def bot_lookup_code(conversation, acting_user) -> kb_handoff.LookupCode:
    """The bot's 获取查询码 for a visitor's conversation (registered with the knowledge app)."""
    order = _visitor_order(conversation)
    if order is None:
        raise_if({"conversation_id": MSG_NO_VISITOR_ORDER})
    code = lookup_code_issue(order=order, acting_user=acting_user)
    return kb_handoff.LookupCode(work_order_id=order.pk, number=order.number, code=code)


def bot_contact_needed(conversation) -> bool:
    """A visitor's open order nobody can reach yet: no confirmed phone, no look-up code."""
    order = _visitor_order(conversation)
    return order is not None and not order.phone and not order.lookup_digest
