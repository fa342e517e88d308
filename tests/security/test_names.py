"""Blank and invisible names are refused everywhere: forms, API schemas and services.

Issue 10: organisation and member names made only of spaces, tabs, zero-width characters
(U+200B, U+FEFF) or carrying a right-to-left override (U+202E) were stored. The rule is
dangjian.core.text.clean_name; each layer below is attacked with the same values.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.core.calendar import TZ
from dangjian.core.text import MSG_BLANK, MSG_INVISIBLE, NameFormField, clean_name

BLANK_LOOKING = [
    "   ",
    "\t\t",
    "\u3000\u3000",  # ideographic spaces
    "\u200b\u200b",
    "\ufeff",
    "\u200b \ufeff \u200d",
]
INVISIBLE_INSIDE = [
    "\u202e党支部",  # right-to-left override
    "第一\u202e党支部",
    "张\u200b三",
    "张\t三",
    "张\n三",
    "张\x00三",
    "张\u2066三\u2069",  # isolates
    "张\u00ad三",  # soft hyphen
    "张\u2028三",  # line separator
]
BAD = BLANK_LOOKING + INVISIBLE_INSIDE


@pytest.mark.parametrize("raw", BLANK_LOOKING)
def test_blank_looking_names_are_blank(raw):
    with pytest.raises(ValidationError) as exc:
        clean_name(raw, field_label="姓名")
    assert exc.value.messages == [MSG_BLANK.format(label="姓名")]


@pytest.mark.parametrize("raw", INVISIBLE_INSIDE)
def test_invisible_characters_inside_are_refused(raw):
    with pytest.raises(ValidationError) as exc:
        clean_name(raw, field_label="姓名")
    assert exc.value.messages == [MSG_INVISIBLE.format(label="姓名")]


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  张三  ", "张三"),
        ("\u200b张三\ufeff", "张三"),  # zero-width at the ends is stripped, not refused
        ("阿卜杜   热合曼", "阿卜杜 热合曼"),
        ("\u3000第一党支部\u3000", "第一党支部"),
        ("Cafe\u0301", "Café"),  # NFC
        ("王\ue000", "王\ue000"),  # a private-use 生僻字 is a character, not an attack
    ],
)
def test_normalisation(raw, stored):
    assert clean_name(raw) == stored


def test_optional_names_allow_empty_but_not_invisible():
    assert clean_name("", blank=True) == ""
    assert clean_name("   ", blank=True) == ""
    with pytest.raises(ValidationError):
        clean_name("\u200b", blank=True)


def test_form_field():
    field = NameFormField(label="名称", max_length=20)
    assert field.clean(" 第一党支部 ") == "第一党支部"
    for raw in BAD:
        with pytest.raises(ValidationError):
            field.clean(raw)


# --- The API: every schema with a name or title ---------------------------------------


def _meeting(cast):
    from dangjian.orglife import services

    start = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
    return services.meeting_create(
        acting_user=cast.user["branch_admin"],
        org=cast.org["B1"],
        kind="theme_day",
        topic="主题党日",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
    )


def _api_cases(cast):
    """(user, method, url, body, field) — each body valid but for the name."""
    member = cast.member["B1m1"]
    meeting = _meeting(cast)
    return [
        ("county_admin", "post", "/api/v1/orgs", {"parent_id": cast.org["K1"].pk, "name": None,
         "org_type": "branch", "code": "530102999001", "founded_on": "2020-01-01"}, "name"),
        ("county_admin", "patch", f"/api/v1/orgs/{cast.org['B1'].pk}", {"name": None}, "name"),
        ("branch_admin", "patch", f"/api/v1/members/{member.pk}", {"name": None}, "name"),
        ("branch_admin", "post", "/api/v1/orglife/meetings", {"org_id": cast.org["B1"].pk,
         "kind": "theme_day", "topic": None, "starts_at": "2026-11-20T09:00:00+08:00",
         "ends_at": "2026-11-20T11:00:00+08:00"}, "topic"),
        ("branch_admin", "patch", f"/api/v1/orglife/meetings/{meeting.pk}", {"topic": None}, "topic"),
        ("agent", "post", "/api/v1/consult/kb/entries", {"question": None,
         "answer": "答案"}, "question"),
        ("agent", "post", "/api/v1/consult/orders/hotline", {"caller_name": None,
         "phone": "13711113333", "summary": "组织关系转接怎么办理"}, "caller_name"),
    ]  # fmt: skip


@pytest.mark.parametrize("raw", ["\u200b\u200b", "\u202e党支部", "张\t三", "\ufeff"])
def test_api_refuses_with_a_field_error(cast, client, bearer, raw):
    for user, method, url, body, field in _api_cases(cast):
        body = {**body, field: raw}
        response = getattr(client, method)(
            url, body, content_type="application/json", **bearer(cast.user[user])
        )
        assert response.status_code == 422, (url, raw, response.content)
        locs = [tuple(e["loc"]) for e in response.json()["detail"]]
        assert ("body", field) in locs, (url, locs)


# --- Services: the last line ----------------------------------------------------------


@pytest.mark.parametrize("raw", ["   ", "\u200b\u200b", "\u202e党支部", "张\t三"])
def test_services_refuse(cast, raw):
    from dangjian.desk.services import orders as order_services
    from dangjian.knowledge.services import kb as kb_services
    from dangjian.members import services as member_services
    from dangjian.orglife import services as orglife_services
    from dangjian.orgs import services as org_services

    meeting = _meeting(cast)
    attempts = {
        "org name": lambda: org_services.org_create(
            acting_user=cast.user["county_admin"],
            parent=cast.org["K1"],
            name=raw,
            org_type="branch",
            code="530102999001",
            founded_on=dt.date(2020, 1, 1),
        ),
        "org rename": lambda: org_services.org_update(
            acting_user=cast.user["county_admin"], org=cast.org["B1"], name=raw
        ),
        "member name": lambda: member_services.member_update(
            acting_user=cast.user["branch_admin"], member=cast.member["B1m1"], name=raw
        ),
        "meeting topic": lambda: orglife_services.meeting_update(
            acting_user=cast.user["branch_admin"], meeting=meeting, topic=raw
        ),
        "resolution title": lambda: orglife_services.resolution_add(
            acting_user=cast.user["branch_admin"], meeting=meeting, title=raw
        ),
        "kb question": lambda: kb_services.entry_create(
            acting_user=cast.user["agent"], org=cast.org["C1"], question=raw, answer="答案"
        ),
        "canned reply title": lambda: order_services.canned_create(
            acting_user=cast.user["agent"], org=cast.org["C1"], title=raw, text="您好，已收到。" * 3
        ),
    }
    for what, attempt in attempts.items():
        with pytest.raises(ValidationError):
            attempt()
            pytest.fail(f"{what}: {raw!r} was accepted")


def test_services_store_the_normalised_name(cast):
    from dangjian.orgs import services as org_services

    org = org_services.org_update(
        acting_user=cast.user["county_admin"], org=cast.org["B1"], name="\u200b 第一  党支部 "
    )
    org.refresh_from_db()
    assert org.name == "第一 党支部"
