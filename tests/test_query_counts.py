"""The number of queries of every list page and list API call does not grow with its rows.

Every list is fetched twice by each user it is measured for: over the test cast plus a
row or so of every kind (so no list is empty and every prefetch has something to
fetch), then again after many more rows of every kind were added through the services
(tests/query_rows.py). Both times after a warm-up request, and as the fewer of two
requests: bookkeeping written at most once a minute (a session's last-seen time, a
token's last use) lands in at most one of two requests in a row. The second count must
equal the first: a query per row (N+1) shows as a difference, and so does any other
query whose number depends on the data. Each list must also have grown for that user,
so a row maker that adds nothing the list shows fails rather than passing quietly.

Coverage is enforced, not hoped for: every GET operation of the OpenAPI schema that
answers a list (a JSON array or a paged ``items`` object) must be in API_TARGETS, and
every page route must be either in PAGE_TARGETS or named in NOT_LIST_PAGES with why.
A new list endpoint or page fails the suite until it is given a target here.

The rows are built once per module, in a transaction rolled back at its end.
"""

import difflib
import json
import re
from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from tests.query_rows import CALLER_PHONE, KB_TOPIC, PERIOD, ROW_MAKERS, World
from tests.security.apischema import operations, resolve
from tests.security.urlwalk import page_routes

# The test database must exist (pytest-django creates only those its tests ask for).
pytestmark = pytest.mark.django_db

ADMINS = ("province_admin", "county_admin")
MEMBER_TOO = (*ADMINS, "member")
VISITOR = "visitor"  # no login at all (the public pages)


@dataclass(frozen=True)
class Target:
    """One list as a user fetches it: ``route`` is the OpenAPI operation id or the URL
    name; ``url`` is formatted with ``World.ids()`` (organisation keys and subjects)."""

    route: str
    url: str
    rows: tuple[str, ...]  # kinds of rows it lists (keys of ROW_MAKERS)
    users: tuple[str, ...] = ADMINS
    label: str = ""  # tells two targets of one route apart

    @property
    def id(self) -> str:
        return f"{self.route}{f' [{self.label}]' if self.label else ''}"


def _api(op: str, url: str, rows: tuple[str, ...], users=ADMINS, label="") -> Target:
    return Target(f"GET /api/v1/{op}", f"/api/v1/{url}", rows, users, label)


API_TARGETS = [
    _api("transfers", "transfers?limit=100", ("transfers",), MEMBER_TOO),
    _api("transfers/destinations", "transfers/destinations", ("orgs",), MEMBER_TOO),
    _api("transfers/incoming", "transfers/incoming?limit=100", ("transfers_in",)),
    _api("orgs", "orgs?limit=100", ("orgs", "members")),
    _api("orgs/{org_id}/children", "orgs/{T1}/children?limit=100", ("orgs", "members")),
    _api("members", "members?limit=100", ("members",)),
    _api("members/export", "members/export", ("members",)),
    _api("inbox", "inbox?limit=100", ("notifications",), MEMBER_TOO),
    _api("orglife/meetings", "orglife/meetings?limit=100", ("meetings",), MEMBER_TOO),
    _api(
        "orglife/meetings/{meeting_id}",
        "orglife/meetings/{meeting}",
        ("meeting_subject",),  # its resolutions, and the attendance summary
        MEMBER_TOO,
    ),
    _api(
        "orglife/meetings/{meeting_id}/attendance",
        "orglife/meetings/{meeting}/attendance?limit=100",
        ("meeting_subject", "members"),
    ),
    _api(
        "orglife/meetings/{meeting_id}/comments",
        "orglife/meetings/{meeting}/comments?limit=100",
        ("meeting_subject",),
        MEMBER_TOO,
    ),
    _api(
        "orglife/meetings/{meeting_id}/photos",
        "orglife/meetings/{meeting}/photos",
        ("meeting_subject",),
    ),
    _api("orglife/compliance", f"orglife/compliance?period={PERIOD}", ("meetings", "orgs")),
    _api("orglife/warnings", "orglife/warnings?limit=100", ("warnings",)),
    _api("warnings", "warnings?limit=100", ("warnings",)),
    _api("consult/kb/entries", "consult/kb/entries?limit=100", ("kb_entries",), MEMBER_TOO),
    _api("consult/kb/export", "consult/kb/export", ("kb_entries",)),
    _api(
        "consult/kb/entries/{entry_id}/history",
        "consult/kb/entries/{entry}/history",
        ("kb_versions",),
    ),
    _api("consult/daily", "consult/daily?limit=100", ("daily",), MEMBER_TOO),
    _api("consult/daily/schedule", "consult/daily/schedule?limit=100", ("kb_schedules",)),
    _api("consult/policy", "consult/policy?limit=100", ("kb_articles",), MEMBER_TOO),
    _api(
        "consult/policy", "consult/policy?manage=true&limit=100", ("kb_articles",), label="manage"
    ),
    _api("consult/ivr", "consult/ivr", ("ivr",)),
    _api(
        "consult/platform-feedback",
        "consult/platform-feedback?limit=100",
        ("feedback",),
        MEMBER_TOO,
    ),
    _api("consult/orders", "consult/orders?limit=100", ("orders",), (*ADMINS, "agent", "member")),
    _api(
        "consult/orders",
        "consult/orders?view=queue&limit=100",
        ("orders",),
        (*ADMINS, "agent"),
        "queue",
    ),
    _api("consult/orders/{order_id}", "consult/orders/{order}", ("order_subject",)),
    _api("consult/orders/{order_id}/history", "consult/orders/{order}/history", ("order_subject",)),
    _api(
        "consult/public-questions",
        "consult/public-questions?limit=100",
        ("orders",),
        (*ADMINS, VISITOR),
    ),
    _api("consult/chats/{chat_id}/messages", "consult/chats/{chat}/messages", ("chat_subject",)),
    _api("consult/stats", "consult/stats", ("orders",)),
    _api("consult/offices", "consult/offices?limit=100", ("offices",)),
    _api(
        "consult/consultations",
        "consult/consultations?limit=100",
        ("consultations",),
        (*ADMINS, "handler"),
    ),
    _api(
        "consult/console/queue",
        "consult/console/queue?who=all&limit=100",
        ("orders",),
        (*ADMINS, "agent"),
    ),
    _api("recruitment/applicants", "recruitment/applicants?limit=100", ("applicants",)),
    _api(
        "recruitment/applicants/{applicant_id}",
        "recruitment/applicants/{applicant}",
        ("applicant_subject",),  # its steps and their documents
    ),
    _api("mobility/registrations", "mobility/registrations?limit=100", ("mobile_registrations",)),
    _api(
        "mobility/registrations/{registration_id}/participation",
        "mobility/registrations/{mobile_registration}/participation?limit=100",
        ("registration_subject",),
    ),
    _api("mobility/lost", "mobility/lost?limit=100", ("lost_contacts",)),
    _api("mobility/lost/{lost_id}", "mobility/lost/{lost}", ("lost_subject",)),
    _api("dues/bills/mine", "dues/bills/mine?limit=100", ("dues_bills",), ("member",)),
    _api("dues/arrears", "dues/arrears?limit=100", ("dues_bills",)),
    _api("dues/payments", "dues/payments?limit=100", ("dues_bills",), MEMBER_TOO),
]


def _page(name: str, url: str, rows: tuple[str, ...], users=ADMINS, label="") -> Target:
    return Target(name, url, rows, users, label)


PAGE_TARGETS = [
    _page("transfers:list", "/transfers/", ("transfers",), MEMBER_TOO),
    _page("transfers:detail", "/transfers/{transfer}/", ("transfer_subject",)),
    _page("transfers:apply", "/transfers/apply/?q=党支部", ("orgs",), ("member",)),
    _page("transfers:incoming_list", "/transfers/incoming/", ("transfers_in",)),
    _page("home", "/", ("members", "orgs", "warnings"), ADMINS, "leader"),
    _page("home", "/", ("notifications", "dues_bills"), ("member",), "member"),
    _page("home", "/", ("meetings", "warnings", "lost_contacts"), ("branch_admin",), "secretary"),
    _page("home", "/", ("orders",), ("agent",), "agent"),
    _page("home", "/", ("orgs",), ("handler",), "handler"),
    _page("inbox", "/inbox/", ("notifications",), MEMBER_TOO),
    _page("orgs:tree", "/orgs/", ("orgs", "members")),
    _page("orgs:children", "/orgs/{T1}/children/", ("orgs", "members")),
    _page("orgs:search", "/orgs/search/?q=党支部", ("orgs", "members")),
    _page("orgs:detail", "/orgs/{T1}/", ("orgs", "members")),
    _page("members:list", "/members/", ("members",)),
    _page("members:export", "/members/export/", ("members",)),
    _page("orglife:list", "/orglife/", ("meetings", "warnings")),
    _page("orglife:mine", "/orglife/mine/", ("meetings",), ("member",)),
    _page(
        "orglife:detail", "/orglife/meetings/{meeting}/", ("meeting_subject", "members"), MEMBER_TOO
    ),
    _page(
        "orglife:compliance",
        f"/orglife/compliance/?period={PERIOD}",
        ("meetings", "orgs", "warnings"),
    ),
    _page(
        "orglife:compliance_org",
        f"/orglife/compliance/{{T1}}/?period={PERIOD}",
        ("meetings", "orgs"),
    ),
    _page("orglife:warnings", "/orglife/warnings/", ("warnings",)),
    _page("warnings", "/warnings/", ("warnings",)),
    _page(
        "knowledge:chat", "/consult/chat/?c={conversation}", ("conversation_subject",), ("member",)
    ),
    _page("knowledge:kb_list", "/consult/kb/?all=1", ("kb_entries",), label="editor"),
    _page("knowledge:kb_list", "/consult/kb/", ("kb_entries",), ("member",), "published"),
    _page("knowledge:kb_list", "/consult/kb/?kind=case", ("kb_entries",), ("member",), "cases"),
    _page(
        "knowledge:kb_list", f"/consult/kb/?q={KB_TOPIC}", ("kb_entries",), ("member",), "search"
    ),
    _page("knowledge:kb_history", "/consult/kb/{entry}/history/", ("kb_versions",)),
    _page("knowledge:kb_export", "/consult/kb/export/", ("kb_entries",)),
    _page("knowledge:daily", "/consult/daily/", ("daily",), MEMBER_TOO),
    _page("knowledge:daily_plan", "/consult/daily/plan/?month={plan_month}", ("kb_schedules",)),
    _page("knowledge:policy_list", "/consult/policy/", ("kb_articles",), MEMBER_TOO),
    _page("knowledge:policy_list", "/consult/policy/?manage=1", ("kb_articles",), label="manage"),
    _page("desk:hotline", "/consult/hotline/", ("ivr",)),
    _page("desk:feedback", "/consult/feedback/", ("feedback",), ("member",)),
    _page("desk:feedback_manage", "/consult/feedback/manage/", ("feedback",)),
    _page("desk:order_console", "/consult/console/", ("orders",), (*ADMINS, "agent")),
    _page(
        "desk:caller_history",
        f"/consult/console/history/?phone={CALLER_PHONE}",
        ("orders",),
        (*ADMINS, "agent"),
    ),
    _page("desk:agent_kb_search", f"/consult/console/kb-search/?q={KB_TOPIC}", ("kb_entries",)),
    _page("desk:order_detail", "/consult/orders/{order}/", ("order_subject",)),
    _page("desk:live_chat", "/consult/live/{chat}/", ("chat_subject",), MEMBER_TOO),
    _page(
        "desk:live_chat_messages",
        "/consult/live/{chat}/messages/",
        ("chat_subject",),
        MEMBER_TOO,
    ),
    _page("desk:my_orders", "/consult/my/", ("orders",), ("member",)),
    _page("desk:my_order", "/consult/my/{order}/", ("order_subject",), ("member",)),
    _page("desk:public_questions", "/consult/public/", ("orders",), (*ADMINS, VISITOR)),
    _page("desk:order_stats", "/consult/stats/", ("orders",)),
    _page("desk:office_list", "/consult/offices/", ("offices",)),
    _page("desk:canned_list", "/consult/canned/", ("canned_replies",)),
    _page(
        "desk:my_consultations", "/consult/consultations/", ("consultations",), (*ADMINS, "handler")
    ),
    _page("desk:console_queue", "/consult/console/queue/?who=all", ("orders",), (*ADMINS, "agent")),
    _page("desk:console_case", "/consult/console/case/{order}/", ("order_subject",)),
    _page("desk:order_stats_export", "/consult/stats/export/", ("orders",)),
    _page("recruitment:index", "/recruitment/", ("applicants",)),
    _page("recruitment:pipeline", "/recruitment/org/{T1}/", ("applicants",)),
    _page("recruitment:detail", "/recruitment/{applicant}/", ("applicant_subject",)),
    _page("recruitment:record_pdf", "/recruitment/{applicant}/record.pdf", ("applicant_subject",)),
    _page("mobility:list", "/mobility/?status=active", ("mobile_registrations",)),
    _page("mobility:detail", "/mobility/{mobile_registration}/", ("registration_subject",)),
    _page("mobility:groups", "/mobility/groups/", ("mobile_registrations",)),
    _page("mobility:group", "/mobility/groups/{mobile_group}/", ("mobile_group_subject",)),
    _page("mobility:lost", "/mobility/lost/", ("lost_contacts",)),
    _page("mobility:lost_detail", "/mobility/lost/{lost}/", ("lost_subject",)),
    _page("mobility:lapse", "/mobility/lapse/{lapse_member}/", ("lapse_subject",)),
    _page("dues:mine", "/dues/", ("dues_bills",), ("member",)),
    _page("dues:arrears", "/dues/arrears/", ("dues_bills",)),
    _page("dues:report", "/dues/report/{K1}/?period=2024", ("dues_bills", "orgs")),
    _page("dues:bases", "/dues/org/{K1}/bases/", ("members",)),
    _page("dues:member_record", "/dues/members/{dues_member}/record/", ("dues_bills",)),
]

# Page routes that show no list whose length depends on the data, by why.
NOT_LIST_PAGES = {
    "sign-in, second factor and account settings": {
        "accounts:login", "accounts:logout", "accounts:otp_verify", "accounts:otp_enrol",
        "accounts:password_change", "accounts:elder",
    },
    "one object (its own fields; the lists inside details are targets above)": {
        "members:detail", "members:reveal", "members:photo", "orglife:photo",
        "knowledge:kb_detail", "warning_detail",
        "recruitment:document",
        "members:birthday", "members:birthday_card",
        "mobility:card", "mobility:verify",
        "dues:receipt", "dues:payment", "knowledge:policy_detail",
        # a 转入's checks and history are bounded by the branch's depth below its 县委
        "transfers:incoming_detail",
    },
    "the check-in screen: a QR code and the attendance summary's figures": {
        "orglife:screen", "orglife:screen_qr", "orglife:screen_count",
    },
    "forms, and the actions they post to": {
        "inbox_open", "orgs:create", "orgs:edit", "orgs:move", "orgs:dissolve",
        "orgs:position_add", "orgs:position_end", "members:create", "members:edit",
        "members:photo_upload", "orglife:create", "orglife:edit", "orglife:cancel",
        "orglife:record", "orglife:mark", "orglife:mark_all", "orglife:checkin", "orglife:checkin_location",
        "orglife:leave", "orglife:resolution_add", "orglife:vote", "orglife:close_vote",
        "orglife:comment_add", "orglife:photo_add", "knowledge:chat_pick",
        "knowledge:chat_handoff", "knowledge:chat_feedback", "knowledge:kb_create",
        "knowledge:kb_import", "knowledge:kb_edit", "knowledge:kb_status", "desk:hotline_edit",
        "knowledge:policy_create", "knowledge:policy_edit", "knowledge:policy_status",
        "knowledge:daily_unplan",
        "desk:feedback_status", "desk:agent_presence", "desk:hotline_log",
        "desk:order_claim", "desk:order_reply", "desk:order_coordinate",
        "desk:order_publish", "desk:order_to_kb", "desk:coordination_answer",
        "desk:live_chat_send", "desk:live_chat_close", "desk:message_new",
        "desk:live_chat_typing", "desk:live_chat_transfer", "desk:live_chat_transfer_accept",
        "desk:live_chat_transfer_decline", "desk:live_chat_rate", "desk:public_lookup",
        "desk:my_order_rate", "desk:my_order_reopen", "desk:public_ask",
        "desk:office_new", "desk:office_edit", "desk:order_reroute", "desk:order_merge",
        "desk:canned_new", "desk:canned_edit", "desk:canned_delete",
        "warning_resolve", "warning_assign",
        "transfers:apply_for", "transfers:approve",
        "transfers:reject", "transfers:withdraw", "transfers:reissue", "transfers:receipt",
        "transfers:incoming_new", "transfers:incoming_approve", "transfers:incoming_reject",
        "recruitment:create", "recruitment:step",
        "recruitment:terminate", "recruitment:document_add", "recruitment:plan",
        "mobility:register", "mobility:participation_add",
        "mobility:end", "mobility:set_group", "mobility:group_create", "mobility:lost_create",
        "mobility:attempt_add", "mobility:lost_close", "mobility:excuse_add",
        "mobility:assignment_add", "mobility:assignment_done",
        "dues:sandbox_pay", "dues:manage", "dues:member_base", "dues:payment_refund",
        "dues:bases_import", "dues:bases_template",
    },
    "a document or a verdict about one letter": {
        "transfers:letter", "transfers:verify", "transfers:incoming_receipt",
    },
}  # fmt: skip

# List operations whose length is fixed by code, not by data (nothing to grow).
FIXED_LISTS = {
    "GET /api/v1/warnings/kinds",  # the warning kinds the apps registered
    "GET /api/v1/consult/categories",  # the configured 咨询分类 (settings or rules' defaults)
}

# Rows of every kind before the first measurement, then added before the second. The
# subject makers build a new subject with that many children (so the second is larger).
SEED = dict.fromkeys(ROW_MAKERS, 1)
MORE = {
    "members": 10,
    "orgs": 5,
    "meetings": 5,
    "meeting_subject": 7,
    "warnings": 5,
    "notifications": 10,
    "kb_entries": 10,
    "kb_versions": 8,
    "daily": 8,
    "kb_schedules": 6,
    "kb_articles": 6,
    "ivr": 6,
    "feedback": 8,
    "orders": 8,
    "order_subject": 6,
    "offices": 5,
    "canned_replies": 5,
    "consultations": 5,
    "chat_subject": 10,
    "conversation_subject": 6,
    "transfers": 4,
    "transfer_subject": 5,
    "transfers_in": 3,
    "applicants": 4,
    "applicant_subject": 5,
    "mobile_registrations": 5,
    "registration_subject": 6,
    "lost_contacts": 5,
    "lost_subject": 6,
    "mobile_group_subject": 5,
    "lapse_subject": 5,
    "dues_bills": 6,
}
TARGETS = API_TARGETS + PAGE_TARGETS
CASES = [(t, u) for t in TARGETS for u in t.users]


def _schema() -> dict:
    import django

    django.setup()
    from dangjian.api import api

    return api.get_openapi_schema()


SCHEMA = _schema()


def _answers_a_list(spec: dict) -> bool:
    """A JSON array, or a paged object (``items``), as the operation's 200 answer."""
    content = spec.get("responses", {}).get(200, {}).get("content", {})
    body = content.get("application/json", {}).get("schema")
    if body is None:
        return False
    body = resolve(SCHEMA, body)
    items = body.get("properties", {}).get("items")
    return body.get("type") == "array" or (
        items is not None and resolve(SCHEMA, items).get("type") == "array"
    )


# --- Measuring


@dataclass
class Measure:
    status: int
    queries: list[str]
    size: int  # rows shown (``count`` or array length), else the body's length


def _body(response) -> bytes:
    """The whole body (a streamed one read out: its queries count too)."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _size(response, body: bytes) -> int:
    if response.get("Content-Type", "").startswith("application/json"):
        data = json.loads(body)
        if isinstance(data, list):
            return len(data)
        if isinstance(data, dict) and isinstance(data.get("count"), int):
            return data["count"]
    return len(body)


def _clients(world: World) -> dict[tuple[str, bool], Client]:
    """A session client per page user and a bearer-token client per API user."""
    from dangjian.accounts.services import token_issue
    from tests.kit import login_verified

    clients = {}
    for target in TARGETS:
        api = target.route.startswith("GET /api/")
        for user_key in target.users:
            if (user_key, api) in clients:
                continue
            if user_key == VISITOR:
                client = Client()
            elif api:
                raw, _ = token_issue(user=world.user[user_key])
                client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
            else:
                client = login_verified(Client(), world.user[user_key])
            clients[(user_key, api)] = client
    return clients


def _measure_all(world: World, clients) -> dict[tuple[str, str], Measure]:
    ids = world.ids()
    result = {}
    for target, user_key in CASES:
        client = clients[(user_key, target.route.startswith("GET /api/"))]
        url = target.url.format(**ids)
        _body(client.get(url))  # warm-up: first-use caches
        result[(target.id, user_key)] = min(
            (_measure(client, url) for _ in range(2)), key=lambda m: len(m.queries)
        )
    return result


def _measure(client, url: str) -> Measure:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        body = _body(response)
    queries = [q["sql"] for q in ctx.captured_queries]
    return Measure(response.status_code, queries, _size(response, body))


def _grow(world: World, counts: dict[str, int]) -> None:
    for kind, maker in ROW_MAKERS.items():
        maker(world, counts[kind])


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker):
    """(before, after) measures of every case, over rows built once for the module."""
    from tests.kit import reload

    # Every member list is a bulk read before and after (its audit entry in both counts);
    # no request of the run is rate-limited.
    settings = override_settings(AUDIT_BULK_READ_ROWS=1, RATE_LIMITS_ENABLED=False)
    with django_db_blocker.unblock(), settings, transaction.atomic():
        world = World(reload(pytest.dangjian_cast))
        _grow(world, SEED)
        clients = _clients(world)
        before = _measure_all(world, clients)
        _grow(world, MORE)
        after = _measure_all(world, clients)
        transaction.set_rollback(True)
    return before, after


# --- Coverage


def test_every_list_operation_has_a_target():
    lists = {
        f"GET {path}"
        for path, methods in SCHEMA["paths"].items()
        if "get" in methods and _answers_a_list(methods["get"])
    }
    covered = {t.route for t in API_TARGETS}
    assert covered & FIXED_LISTS == set()
    assert lists - covered - FIXED_LISTS == set(), "give these list operations a Target"
    assert len(lists) >= 15


def test_every_target_names_a_real_route_and_row_kind():
    ops = {op.id for op in operations(SCHEMA) if op.method == "get"}
    pages = {r.name for r in page_routes()}
    for target in TARGETS:
        assert target.route in (ops if target.route.startswith("GET /api/") else pages), target
        assert target.rows and set(target.rows) <= set(ROW_MAKERS), target
    assert set(MORE) == set(ROW_MAKERS)


def test_every_page_is_a_target_or_not_a_list():
    pages = {r.name for r in page_routes() if not r.url.startswith("/admin/")}
    covered = {t.route for t in PAGE_TARGETS}
    exempt = {name for names in NOT_LIST_PAGES.values() for name in names}
    assert covered & exempt == set()
    assert pages - covered - exempt == set(), "a new page: add it to PAGE_TARGETS or NOT_LIST_PAGES"
    assert exempt - pages == set(), "stale names in NOT_LIST_PAGES"


# --- The counts


@pytest.mark.parametrize(("target", "user_key"), CASES, ids=[f"{t.id}-{u}" for t, u in CASES])
def test_query_count_does_not_grow_with_rows(measured, target, user_key):
    before, after = (m[(target.id, user_key)] for m in measured)
    assert (before.status, after.status) == (200, 200), (before.status, after.status)
    assert after.size > before.size, "the rows added are not in this list: fix its row maker"
    grown = len(after.queries) - len(before.queries)
    assert grown == 0, _diff(before.queries, after.queries)


def _shape(sql: str) -> str:
    """A query without its literals (ids, timestamps), shortened for a message."""
    sql = re.sub(r"'[^']*'|\b\d+\b", "?", sql)
    return sql if len(sql) <= 300 else f"{sql[:150]} … {sql[-150:]}"


def _diff(before: list[str], after: list[str]) -> str:
    """The queries that differ once literals are set aside, for the failure message."""
    lines = difflib.unified_diff(
        [_shape(q) for q in before], [_shape(q) for q in after], "before", "after", lineterm="", n=0
    )
    return f"{len(before)} → {len(after)} queries:\n" + "\n".join(lines)
