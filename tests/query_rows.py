"""Row makers of the query-count tests (tests/test_query_counts.py): each adds ``n`` rows
of one kind to the test cast's world, through the apps' services as a user would.

A maker touches every branch (or the organisations both the province and the county
admin see), so every list grows for every user it is measured for. Lists shown inside a
detail (a meeting's attendance, an order's history) are measured on a *subject*: the
makers of those kinds build a fresh subject with ``n`` children and point the world at it.
"""

import datetime as dt
import io
import itertools
from collections.abc import Callable
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dangjian.core.calendar import TZ
from tests.kit import BRANCHES, new_id_number

# The past month the makers' meetings and warnings fall in (compliance is asked for it).
PERIOD = "2025-03"
START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=TZ)
CALLER_PHONE = "13800138000"  # the hotline caller whose history the console shows
KB_TOPIC = "党费"  # every maker-made knowledge-base question contains it (search hits)
MEETING_KINDS = ["theme_day", "committee", "member_assembly", "lecture", "life_meeting"]

_serial = itertools.count(1)


class World:
    """The cast plus the subjects that detail-with-list endpoints are measured on."""

    def __init__(self, cast: SimpleNamespace):
        self.cast = cast
        self.org = cast.org
        self.user = cast.user
        self.root = cast.user["root"]
        self.subject: dict[str, int] = {}
        self.ivr_options = 0

    def ids(self) -> dict[str, int]:
        """What URLs are formatted with: organisations by key, then the subjects."""
        return {**{k: o.pk for k, o in self.org.items()}, **self.subject}


def _n() -> int:
    return next(_serial)


def members(world: World, n: int) -> None:
    from dangjian.members import services

    for branch in BRANCHES:
        for _ in range(n):
            i = _n()
            full = i % 2 == 0
            services.member_create(
                acting_user=world.root,
                branch=world.org[branch],
                name=f"增补党员{i}",
                id_number=new_id_number(dt.date(1950 + i % 30, 1 + i % 12, 1), male=i % 2 == 0),
                phone=f"1370000{i:04d}",
                ethnicity="汉族" if i % 3 else "白族",
                education=("bachelor", "postgraduate", "high_school")[i % 3],
                joined_on=dt.date(2005, 7, 1),
                full_member_on=dt.date(2006, 7, 1) if full else None,
                status="full" if full else "probationary",
                group=world.org["G1"] if branch == "B1" and i % 2 else None,
            )


def orgs(world: World, n: int) -> None:
    """New branches under T1 (in the county admin's K1) and directly under K3."""
    from dangjian.orgs import services

    for parent in ("T1", "K3"):
        for _ in range(n):
            i = _n()
            services.org_create(
                acting_user=world.root,
                parent=world.org[parent],
                name=f"新建第{i}党支部",
                org_type="branch",
                code=f"{world.org[parent].code[:6]}9{i:05d}",
                founded_on=dt.date(2000, 1, 1),
            )


def _plan(world: World, org_key: str, kind: str, start: dt.datetime, **extra):
    from dangjian.orglife import services

    return services.meeting_create(
        acting_user=world.root,
        org=world.org[org_key],
        kind=kind,
        topic=f"学习会议{_n()}",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        place="党员活动室",
        **extra,
    )


def meetings(world: World, n: int) -> None:
    """``n`` meetings per branch (every other one held, minutes recorded) and ``n`` group
    meetings of G1, all in PERIOD."""
    from dangjian.orglife import services

    for branch in BRANCHES:
        for k in range(n):
            i = _n()
            start = START + dt.timedelta(days=i % 20, minutes=i)
            meeting = _plan(world, branch, MEETING_KINDS[i % len(MEETING_KINDS)], start)
            if k % 2 == 0:
                services.meeting_record(acting_user=world.root, meeting=meeting, minutes="会议记录")
    for _ in range(n):
        _plan(world, "G1", "group", START + dt.timedelta(days=1, minutes=_n()))


def _jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (180, 20, 20)).save(out, format="JPEG")
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def meeting_subject(world: World, n: int) -> None:
    """A B1 meeting (its whole roster called: it grows with ``members``) with ``n``
    comments, photos and resolutions and a few attendance marks; the new subject."""
    from dangjian.orglife import services

    meeting = _plan(world, "B1", "theme_day", START + dt.timedelta(days=2))
    authors = [world.user["member"], world.user["branch_admin"], world.root]
    for k in range(n):
        services.comment_add(acting_user=authors[k % 3], meeting=meeting, text=f"留言{_n()}")
        services.photo_add(acting_user=world.root, meeting=meeting, upload=_jpeg(), caption="现场")
        services.resolution_add(acting_user=world.root, meeting=meeting, title=f"表决事项{_n()}")
    attendances = list(meeting.attendances.order_by("pk")[: n + 1])
    for k, attendance in enumerate(attendances):
        status = ("present", "leave", "absent")[k % 3]
        services.attendance_mark(
            acting_user=world.root,
            meeting=meeting,
            member=attendance.member,
            status=status,
            reason="因公出差" if status == "leave" else "",
        )
    world.subject["meeting"] = meeting.pk


def warnings(world: World, n: int) -> None:
    """主题党日 warnings of every branch for ``n`` more months before PERIOD."""
    from dangjian.orglife import rules, services

    for _ in range(n):
        i = _n()
        month = rules.month_period(2020 + i // 12, 1 + i % 12)
        for branch in BRANCHES:
            services.theme_day_warn(branch=world.org[branch], month=month)


def notifications(world: World, n: int) -> None:
    from dangjian.core import notify

    for _ in range(n):
        i = _n()
        notify.send(
            list(world.user.values()),
            kind="test.notice",
            title=f"通知{i}",
            body="请按时参加组织生活",
            url="/orglife/mine/",
            dedupe_key=f"querycount:{i}",
        )


def _entry(world: World, org_key: str, *, publish: bool, **fields):
    from dangjian.knowledge.services import kb

    i = _n()
    data = {
        "question": f"{KB_TOPIC}问题第{i}号怎么办？",
        "answer": f"按照规定办理（第{i}号答复）。",
        "alternatives": [f"{KB_TOPIC}第{i}号"],
        "category": ("党费", "组织关系转接", "发展党员")[i % 3],
        "tags": ["常见"],
        "source": "中组发〔2008〕3号",
        **fields,
    }
    return kb.entry_create(acting_user=world.root, org=world.org[org_key], publish=publish, **data)


def kb_entries(world: World, n: int) -> None:
    """Published entries and drafts of the province and of K1 (both admins edit K1's)."""
    for org_key in ("P", "K1"):
        for k in range(n):
            _entry(world, org_key, publish=True, kind="case" if k % 4 == 0 else "faq")
            _entry(world, org_key, publish=False)


def kb_versions(world: World, n: int) -> None:
    """A K1 entry edited ``n`` times (its history); the new subject."""
    from dangjian.knowledge.services import kb

    entry = _entry(world, "K1", publish=False)
    for _ in range(n):
        entry = kb.entry_update(acting_user=world.root, entry=entry, answer=f"修订答复{_n()}。")
    world.subject["entry"] = entry.pk


def daily(world: World, n: int) -> None:
    """``n`` more days of 每日一答 (each picks a published entry; one is made per day)."""
    from dangjian.knowledge.services import daily as daily_services

    for _ in range(n):
        _entry(world, "P", publish=True)
        daily_services.daily_pick(day=dt.date(2025, 1, 1) + dt.timedelta(days=_n()))


_schedule_days = itertools.count(1)


def plan_month() -> dt.date:
    """The month the 每日一答 schedules are made in: the next one (always ahead)."""
    from django.utils import timezone

    today = timezone.localdate()
    return (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def kb_schedules(world: World, n: int) -> None:
    """``n`` more days of next month scheduled for the province and for K1."""
    from dangjian.knowledge.services import daily as daily_services

    world.subject["plan_month"] = f"{plan_month():%Y-%m}"
    for _ in range(n):
        day = plan_month() + dt.timedelta(days=next(_schedule_days) - 1)
        for org_key in ("P", "K1"):
            entry = _entry(world, "P", publish=True)
            daily_services.daily_schedule(
                acting_user=world.root, org=world.org[org_key], day=day, entry=entry
            )


def kb_articles(world: World, n: int) -> None:
    """``n`` published and ``n`` draft 政策解读 articles of the province and of K1."""
    from dangjian.knowledge.services import policy

    for org_key in ("P", "K1"):
        for _ in range(n):
            for publish in (True, False):
                article = policy.article_create(
                    acting_user=world.root,
                    org=world.org[org_key],
                    title=f"政策解读第{_n()}篇",
                    body="正文。",
                    summary="摘要",
                )
                if publish:
                    policy.article_publish(acting_user=world.root, article=article)


def ivr(world: World, n: int) -> None:
    """The province hotline's voice menu, ``n`` options longer (at most the menu's 9)."""
    from dangjian.desk.services import ivr

    world.ivr_options = min(world.ivr_options + n, ivr.IVR_MAX)
    options = [
        {"key": str(k + 1), "label": f"选项{k + 1}", "queue": "综合", "category": "党费"}
        for k in range(world.ivr_options)
    ]
    ivr.ivr_menu_replace(acting_user=world.root, org=world.org["P"], options=options)


def feedback(world: World, n: int) -> None:
    from dangjian.desk.services import feedback as services

    for k in range(n):
        kind = ("suggestion", "problem")[k % 2]
        services.feedback_submit(user=world.user["member"], kind=kind, text=f"建议增加功能{_n()}")


def orders(world: World, n: int) -> None:
    """Per round: a member's web question, and a hotline call from CALLER_PHONE about B1
    answered on the phone and published to the public list (routed 分级受理, to the
    county, so that the county admin's lists grow too)."""
    from django.test import override_settings

    agent = world.user["agent"]
    with override_settings(CONSULT_ACCEPTANCE="tiered"):
        _orders(world, agent, n)


def _orders(world: World, agent, n: int) -> None:
    from dangjian.desk.services import orders as services

    for _ in range(n):
        services.order_create(
            acting_user=world.user["member"],
            source="web",
            summary=f"咨询党费交纳问题{_n()}",
            category="党费",
            asker=world.user["member"],
        )
        order = services.hotline_log(
            acting_user=agent,
            caller_name="张先生",
            phone=CALLER_PHONE,
            category="组织关系转接",
            summary=f"来电咨询组织关系转接{_n()}",
            asker_org=world.org["B1"],
            reply="已电话答复，请向所在党支部提出申请。",
        )
        services.order_publish(acting_user=agent, order=order, public=True)


def order_subject(world: World, n: int) -> None:
    """A member's order claimed by the agent, coordinated with ``n`` offices (each
    answering), then replied: its history and coordinations grow with ``n``."""
    from dangjian.desk.services import orders as services

    agent, member = world.user["agent"], world.user["member"]
    order = services.order_create(
        acting_user=member,
        source="web",
        summary=f"咨询组织关系{_n()}",
        category="组织关系转接",
        asker=member,
        org=world.org["K1"],
    )
    services.order_claim(acting_user=agent, order=order)
    offices = [_office(world, "K1") for _ in range(n)]
    made = services.order_coordinate(
        acting_user=agent, order=order, offices=offices, question="请提供意见"
    )
    for coordination in made:
        services.coordination_answer(acting_user=agent, coordination=coordination, answer="同意")
    order.refresh_from_db()
    services.order_reply(acting_user=agent, order=order, text="经协商，答复如下：可以办理。")
    world.subject["order"] = order.pk


def _office(world: World, org_key: str):
    from dangjian.desk.services import routing

    return routing.office_create(
        acting_user=world.root,
        org=world.org[org_key],
        name=f"组织科{_n()}",
        categories=["党费"],
        lead_name="张三",
        liaison=world.user["handler"],
    )


def offices(world: World, n: int) -> None:
    """业务处室 of the province centre and of 五华区 (the county admin sees both)."""
    for _ in range(n):
        _office(world, "P")
        _office(world, "K1")


def canned_replies(world: World, n: int) -> None:
    """常用答复 of the province centre and of 五华区 (the county admin keeps the latter)."""
    from dangjian.desk.services import chats

    for _ in range(n):
        for key in ("P", "K1"):
            chats.canned_create(
                acting_user=world.root,
                org=world.org[key],
                title=f"常用答复{_n()}",
                text="您好，党费按月交纳，特殊情况可按季度交纳。",
            )


def consultations(world: World, n: int) -> None:
    """Per round: an order at 五华区 claimed by the agent, put to one of its offices (the
    county's handler is that office's 联络员)."""
    from dangjian.desk.services import orders as services

    agent, member = world.user["agent"], world.user["member"]
    office = _office(world, "K1")
    for _ in range(n):
        order = services.order_create(
            acting_user=member,
            source="web",
            summary=f"咨询党费{_n()}",
            category="党费",
            asker=member,
            org=world.org["K1"],
        )
        services.order_claim(acting_user=agent, order=order)
        services.order_coordinate(
            acting_user=agent, order=order, offices=[office], question="请提供意见"
        )


def chat_subject(world: World, n: int) -> None:
    """A live chat between the member and the online agent, ``n`` turns more."""
    from dangjian.desk.models import ChatSession
    from dangjian.desk.services import orders as services
    from dangjian.knowledge.services import bot

    if "chat" not in world.subject:
        services.presence_set(user=world.user["agent"], online=True)
        conversation = bot.conversation_start(user=world.user["member"])
        chat = services.handoff(conversation, world.user["member"])
        assert isinstance(chat, ChatSession), "the agent is online: a live chat"
        world.subject["chat"] = chat.pk
    chat = ChatSession.objects.get(pk=world.subject["chat"])
    for k in range(n):
        speaker = world.user["member"] if k % 2 == 0 else world.user["agent"]
        services.chat_post(acting_user=speaker, chat=chat, text=f"第{_n()}句")


def conversation_subject(world: World, n: int) -> None:
    """The member's conversation with the bot, ``n`` answered turns more."""
    from dangjian.knowledge.models import Conversation
    from dangjian.knowledge.services import bot

    if "conversation" not in world.subject:
        conversation = bot.conversation_start(user=world.user["member"])
        world.subject["conversation"] = conversation.pk
    conversation = Conversation.objects.get(pk=world.subject["conversation"])
    for _ in range(n):
        entry = _entry(world, "P", publish=True)
        bot.ask(user=world.user["member"], conversation=conversation, entry=entry)


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("材料.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


def _applicant(world: World, branch: str, applied_on: dt.date):
    from dangjian.recruitment import services

    i = _n()
    return services.applicant_create(
        acting_user=world.root,
        branch=world.org[branch],
        name=f"申请人{i}",
        id_number=new_id_number(dt.date(1985, 1 + i % 12, 1)),
        ethnicity="汉族",
        education="bachelor",
        applied_on=applied_on,
        document=_pdf(),
    )


def applicants(world: World, n: int) -> None:
    """``n`` applicants per branch, half of them already talked to (发展党员)."""
    from dangjian.recruitment import services

    for branch in BRANCHES:
        for k in range(n):
            applicant = _applicant(world, branch, dt.date(2025, 3, 3))
            if k % 2:
                services.step_do(
                    acting_user=world.root,
                    applicant=applicant,
                    step="talk",
                    done_on=dt.date(2025, 3, 10),
                )


def applicant_subject(world: World, n: int) -> None:
    """A B1 activist with ``n`` half-yearly reviews, each with a document (全程纪实)."""
    from dangjian.recruitment import services

    applicant = _applicant(world, "B1", dt.date(2010, 3, 1))
    contact = world.cast.member["B1m1"].pk
    steps = [
        ("talk", dt.date(2010, 3, 10), {}),
        ("activist", dt.date(2010, 4, 1), {}),
        ("activist_filed", dt.date(2010, 4, 2), {}),
        ("contacts", dt.date(2010, 4, 3), {"contact_ids": [contact]}),
    ]
    steps += [("review", dt.date(2010, 5, 1) + dt.timedelta(days=k), {"document": _pdf()}) for k in range(n)]  # fmt: skip
    for key, on, extra in steps:
        services.step_do(acting_user=world.root, applicant=applicant, step=key, done_on=on, **extra)
    world.subject["applicant"] = applicant.pk


def _new_member(world: World, branch: str):
    from dangjian.members import services

    i = _n()
    return services.member_create(
        acting_user=world.root,
        branch=world.org[branch],
        name=f"流动党员{i}",
        id_number=new_id_number(dt.date(1960 + i % 20, 1 + i % 12, 2), male=i % 2 == 0),
        ethnicity="汉族",
        education="bachelor",
        joined_on=dt.date(2005, 7, 1),
        full_member_on=dt.date(2006, 7, 1),
        status="full",
    )


def _local_today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


MOBILE_HOST = {"B1": "B3", "B2": "B4", "B3": "B1", "B4": "B2"}


def _register(world: World, branch: str):
    from dangjian.mobility import rules, services

    today = _local_today()
    return services.registration_create(
        acting_user=world.root,
        member=_new_member(world, branch),
        reason="外出务工",
        away_since=today - dt.timedelta(days=30),
        expected_until=rules.add_months(today, 8),
        host_code=world.org[MOBILE_HOST[branch]].code,
    )


def mobile_registrations(world: World, n: int) -> None:
    """``n`` new members of every branch registered as mobile, each hosted by another
    branch, half of them in a 流动党小组 at the host."""
    from dangjian.mobility import services

    for branch in BRANCHES:
        for k in range(n):
            registration = _register(world, branch)
            if k % 2 == 0:
                group = services.group_create(
                    acting_user=world.root,
                    host_org=registration.host_org,
                    name=f"流动党小组{_n()}",
                )
                services.registration_set_group(
                    acting_user=world.root, registration=registration, group=group
                )


def registration_subject(world: World, n: int) -> None:
    """A B1 member's registration with ``n`` activities recorded at the host."""
    from dangjian.mobility import services

    registration = _register(world, "B1")
    for _ in range(n):
        services.participation_add(
            acting_user=world.root,
            registration=registration,
            held_on=_local_today(),
            kind="meeting",
            title=f"流入地活动{_n()}",
        )
    world.subject["mobile_registration"] = registration.pk


def lost_contacts(world: World, n: int) -> None:
    """``n`` lost-contact cases per branch, each with a search attempt."""
    from dangjian.mobility import services

    for branch in BRANCHES:
        for _ in range(n):
            case = services.lost_mark(
                acting_user=world.root,
                member=_new_member(world, branch),
                since=_local_today() - dt.timedelta(days=40),
                circumstances="联系不上",
            )
            services.attempt_add(
                acting_user=world.root,
                case=case,
                tried_on=_local_today(),
                method="phone",
                result="无人接听",
            )


def lost_subject(world: World, n: int) -> None:
    """A B1 lost-contact case with ``n`` search attempts."""
    from dangjian.mobility import services

    case = services.lost_mark(
        acting_user=world.root,
        member=_new_member(world, "B1"),
        since=_local_today() - dt.timedelta(days=40),
        circumstances="外出后失联",
    )
    for _ in range(n):
        services.attempt_add(
            acting_user=world.root,
            case=case,
            tried_on=_local_today(),
            method="relatives",
            result=f"亲属不知去向{_n()}",
        )
    world.subject["lost"] = case.pk


def mobile_group_subject(world: World, n: int) -> None:
    """A 流动党小组 at B1 with ``n`` mobile members from B3."""
    from dangjian.mobility import services

    group = services.group_create(
        acting_user=world.root, host_org=world.org["B1"], name=f"在华山流动党小组{_n()}"
    )
    for _ in range(n):
        services.registration_set_group(
            acting_user=world.root, registration=_register(world, "B3"), group=group
        )
    world.subject["mobile_group"] = group.pk


def lapse_subject(world: World, n: int) -> None:
    """A B1 member with ``n`` pieces of assigned work and good reasons."""
    from dangjian.mobility import services

    member = _new_member(world, "B1")
    today = _local_today()
    for _ in range(n):
        services.assignment_create(
            acting_user=world.root,
            member=member,
            title=f"工作{_n()}",
            assigned_on=today,
            due_on=today,
        )
        services.excuse_record(
            acting_user=world.root,
            member=member,
            condition="work",
            reason=f"因病{_n()}",
            valid_from=today,
        )
    world.subject["lapse_member"] = member.pk


# Kind of row → its maker, in the order they run (a meeting subject after the members
# it calls, daily answers after the entries they pick from).
def transfers(world: World, n: int) -> None:
    """``n`` withdrawn transfers from every branch (and of B1m1, the ``member`` user's own)."""
    from dangjian.transfers import services

    others = {"B1": "B2", "B2": "B3", "B3": "B4", "B4": "B1"}
    movers = [(f"{key}m2", others[key]) for key in BRANCHES] + [("B1m1", "B3")]
    for _ in range(n):
        for member_key, to in movers:
            transfer = services.transfer_apply(
                acting_user=world.root,
                member=world.cast.member[member_key],
                reason=f"工作调动{_n()}",
                to_branch=world.org[to],
            )
            services.transfer_withdraw(acting_user=world.root, transfer=transfer)


def transfer_subject(world: World, n: int) -> None:
    """A B1 → B3 transfer, approved, its letter reissued ``n`` times; the new subject."""
    from dangjian.members import services as members
    from dangjian.transfers import services

    i = _n()
    member = members.member_create(
        acting_user=world.root,
        branch=world.org["B1"],
        name=f"转接党员{i}",
        id_number=new_id_number(dt.date(1980, 1, 1)),
        ethnicity="汉族",
        education="bachelor",
        joined_on=dt.date(2005, 7, 1),
        status="probationary",
    )
    transfer = services.transfer_apply(
        acting_user=world.root, member=member, reason="升学", to_branch=world.org["B3"]
    )
    while transfer.status == "pending":
        services.transfer_approve(acting_user=world.root, transfer=transfer)
    for _ in range(n):
        services.transfer_reissue(acting_user=world.root, transfer=transfer)
    world.subject["transfer"] = transfer.pk


def transfers_in(world: World, n: int) -> None:
    """``n`` letters from outside the platform for every branch, each refused at its
    first step (so none stays open and none makes a member)."""
    from dangjian.transfers import services
    from dangjian.transfers.tests.helpers import letter_fields

    for _ in range(n):
        for key in BRANCHES:
            incoming = services.incoming_register(
                acting_user=world.root,
                to_branch=world.org[key],
                **letter_fields(name=f"转入党员{_n()}", id_number=new_id_number()),
            )
            services.incoming_reject(acting_user=world.root, incoming=incoming, reason="材料不全")


def dues_bills(world: World, n: int) -> None:
    """``n`` more months of bills for each branch's first member (B1m1 is the ``member``
    user's own), the odd months paid in cash: bills, arrears and payments all grow (the
    first month, December, stays owed, so arrears are never empty)."""
    from dangjian.dues import rules, services
    from dangjian.members.models import Member

    first = [world.cast.member[f"{b}m1"] for b in BRANCHES]
    if not hasattr(world, "dues_month"):
        world.dues_month = dt.date(2024, 12, 1)
        world.subject["dues_member"] = first[0].pk
        for member in first:
            services.base_set(
                acting_user=world.root,
                member=member,
                category="employed",
                effective_month=dt.date(2021, 1, 1),
                base_fen=400000,
            )
    for _ in range(n):
        month = world.dues_month
        world.dues_month = rules.add_months(month, -1)
        services.bills_issue(
            month=month, members=Member.objects.filter(pk__in=[m.pk for m in first])
        )
        if month.month % 2:
            for member in first:
                services.payment_record(
                    acting_user=world.root, member=member, months=[month], channel="cash"
                )


ROW_MAKERS: dict[str, Callable[[World, int], None]] = {
    "members": members,
    "orgs": orgs,
    "meetings": meetings,
    "meeting_subject": meeting_subject,
    "warnings": warnings,
    "notifications": notifications,
    "kb_entries": kb_entries,
    "kb_versions": kb_versions,
    "daily": daily,
    "kb_schedules": kb_schedules,
    "kb_articles": kb_articles,
    "ivr": ivr,
    "feedback": feedback,
    "orders": orders,
    "order_subject": order_subject,
    "offices": offices,
    "canned_replies": canned_replies,
    "consultations": consultations,
    "chat_subject": chat_subject,
    "conversation_subject": conversation_subject,
    "transfers": transfers,
    "transfer_subject": transfer_subject,
    "transfers_in": transfers_in,
    "applicants": applicants,
    "applicant_subject": applicant_subject,
    "mobile_registrations": mobile_registrations,
    "registration_subject": registration_subject,
    "lost_contacts": lost_contacts,
    "lost_subject": lost_subject,
    "mobile_group_subject": mobile_group_subject,
    "lapse_subject": lapse_subject,
    "dues_bills": dues_bills,
}
