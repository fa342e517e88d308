"""Warnings (预警): raised once per key, seen through the tree as it is now, assigned and
resolved by those who may change the organisation, each step audited and told."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from dangjian.core import events, warnings
from dangjian.core.calendar import TZ
from dangjian.core.models import AuditEntry, Notification, Warning
from tests.kit import ORG_KEYS, USER_KEYS, sees_warnings

KIND = "testing.overdue"
DUE = dt.datetime(2026, 11, 30, 18, tzinfo=TZ)


@pytest.fixture(autouse=True)
def kind(monkeypatch):
    monkeypatch.setattr(warnings, "_KINDS", dict(warnings._KINDS))
    return warnings.register_kind(KIND, label="测试超期", severity=warnings.Severity.SERIOUS)


def _raise(cast, org_key="B1", key="k1", **extra) -> Warning:
    org = cast.org[org_key]
    return warnings.warning_raise(
        kind=KIND, org=org, subject=org, due=DUE, dedupe_key=f"{KIND}:{org.pk}:{key}", **extra
    )


def test_one_line_raise_fills_in_the_rest(cast):
    order = cast.member["B1m1"]  # any model instance can be the subject
    warning = warnings.warning_raise(
        kind=KIND, org=cast.org["B1"], subject=order, due=DUE, dedupe_key="testing:1"
    )
    assert (warning.subject_type, warning.subject_id) == ("members.member", str(order.pk))
    assert warning.subject_label == str(order)
    assert warning.title == f"{order}：测试超期"
    assert warning.severity == warnings.Severity.SERIOUS  # the kind's default
    assert warning.is_open and warning.kind_label == "测试超期"


def test_raise_is_idempotent_per_key(cast):
    admins = [cast.user["branch_admin"], cast.user["committee_admin"]]
    before = AuditEntry.objects.count()
    first = _raise(cast, recipients=admins)
    again = _raise(cast, recipients=admins, title="另一个标题")
    assert again.pk == first.pk and again.title == first.title  # the first raise decides
    assert Warning.objects.filter(kind=KIND).count() == 1
    assert Notification.objects.filter(kind="testing.warning").count() == 2  # one each
    # One audit entry for the warning, one for the notices.
    assert AuditEntry.objects.filter(action="warning.raise").count() == 1
    assert AuditEntry.objects.count() == before + 2
    assert _raise(cast, key="k2").pk != first.pk  # a new key is a new warning


def test_a_rolled_back_raise_leaves_neither_warning_nor_message(cast):
    with pytest.raises(RuntimeError), transaction.atomic():
        _raise(cast, recipients=[cast.user["branch_admin"]])
        raise RuntimeError("the job's write fails")
    assert not Warning.objects.exists()
    assert not Notification.objects.exists()


def test_unknown_kind_and_bad_key_are_programming_errors(cast):
    with pytest.raises(LookupError):
        warnings.warning_raise(kind="testing.nope", org=cast.org["B1"], dedupe_key="x")
    with pytest.raises(ValueError):
        warnings.warning_raise(kind=KIND, org=cast.org["B1"], dedupe_key="")


def test_raised_event_after_commit_only(cast, django_capture_on_commit_callbacks, monkeypatch):
    seen = []
    unsubscribe = events.subscribe("warning.raised", lambda e: seen.append(dict(e.payload)))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            warning = _raise(cast)
            _raise(cast)  # a repeat raises no second event
            assert seen == []
    finally:
        unsubscribe()
    assert seen == [
        {
            "warning_id": warning.pk,
            "kind": KIND,
            "org_id": cast.org["B1"].pk,
            "subject_type": "orgs.organisation",
            "subject_id": str(cast.org["B1"].pk),
            "severity": 3,
        }
    ]


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_visibility_is_the_leaders_and_admins_subtree(cast, user_key):
    made = {key: _raise(cast, key, key="v").pk for key in ORG_KEYS}
    seen = set(warnings.warning_queryset(cast.user[user_key]).values_list("pk", flat=True))
    assert seen == {pk for key, pk in made.items() if sees_warnings(user_key, key)}


def test_visibility_follows_the_tree_after_a_move(cast):
    from dangjian.orgs import services as orgs

    warning = _raise(cast, "B3")
    assert warnings.warning_queryset(cast.user["sibling_county_admin"]).filter(pk=warning.pk)
    orgs.org_move(acting_user=cast.user["root"], org=cast.org["T2"], new_parent=cast.org["K1"])
    assert not warnings.warning_queryset(cast.user["sibling_county_admin"]).filter(pk=warning.pk)
    assert warnings.warning_get(cast.user["county_admin"], warning.pk) == warning


# --- assign -----------------------------------------------------------------------------


def test_assign_tells_the_assignee(cast):
    warning = _raise(cast)
    actor, assignee = cast.user["committee_admin"], cast.user["branch_admin"]
    warnings.warning_assign(acting_user=actor, warning=warning, assignee=assignee)
    warning.refresh_from_db()
    assert warning.assignee == assignee
    notice = Notification.objects.get(user=assignee)
    assert "需要处理" in notice.title and notice.url == f"/warnings/{warning.pk}/"
    assert AuditEntry.objects.filter(action="warning.assign", object_id=str(warning.pk)).exists()
    # The same assignee again changes nothing and tells nobody twice.
    warnings.warning_assign(acting_user=actor, warning=warning, assignee=assignee)
    assert Notification.objects.filter(user=assignee).count() == 1


@pytest.mark.parametrize(
    "assignee_key",
    ["member", "agent", "sibling_county_admin", "province_admin", "outsider", "county_leader"],
)
def test_assign_only_to_leaders_and_admins_on_the_way_up_within_scope(cast, assignee_key):
    """committee_admin (T1) may give a B1 warning to B1's or T1's leaders and admins —
    not to a member, a 12371 agent, a sibling, or anyone above T1 they cannot see."""
    warning = _raise(cast)
    assignee = cast.user[assignee_key]
    with pytest.raises(ValidationError) as caught:
        warnings.warning_assign(
            acting_user=cast.user["committee_admin"], warning=warning, assignee=assignee
        )
    assert caught.value.message_dict == {"assignee": [warnings.MSG_ASSIGNEE]}


def test_assignable_users_are_leaders_and_admins_above_within_scope(cast):
    warning = _raise(cast)
    names = {u.username for u in warnings.assignable_users(cast.user["county_admin"], warning)}
    assert names == {"county_admin", "county_leader", "committee_admin", "branch_admin"}
    names = {u.username for u in warnings.assignable_users(cast.user["root"], warning)}
    assert "province_admin" in names and "member" not in names


def test_assign_and_resolve_need_the_change_right(cast):
    warning = _raise(cast)
    with pytest.raises(PermissionDenied):  # a leader sees it but may not change it
        warnings.warning_assign(
            acting_user=cast.user["county_leader"], warning=warning, assignee=None
        )
    with pytest.raises(Http404):  # a sibling does not even see it
        warnings.warning_resolve(
            acting_user=cast.user["sibling_county_admin"],
            warning=warning,
            resolution="handled",
            note="已处理",
        )


# --- resolve ----------------------------------------------------------------------------


def test_resolve_by_a_person_with_a_note(cast):
    warning = _raise(cast, assignee=cast.user["branch_admin"])
    resolved = warnings.warning_resolve(
        acting_user=cast.user["committee_admin"],
        warning=warning,
        resolution="dismissed",
        note="  该支部本月合并，无需开展  ",
    )
    assert (
        resolved.resolution == "dismissed"
        and resolved.resolution_note == "该支部本月合并，无需开展"
    )
    assert resolved.resolved_by == cast.user["committee_admin"] and not resolved.is_open
    titles = list(
        Notification.objects.filter(user=cast.user["branch_admin"]).values_list("title", flat=True)
    )
    assert any("已忽略" in t for t in titles)  # the assignee hears of it


@pytest.mark.parametrize(
    ("resolution", "note", "field", "message"),
    [
        ("handled", "   ", "note", warnings.MSG_NOTE),
        ("handled", "长" * 501, "note", warnings.MSG_NOTE_LONG),
        ("auto", "系统", "resolution", warnings.MSG_RESOLUTION),
    ],
)
def test_resolve_refuses_bad_input(cast, resolution, note, field, message):
    warning = _raise(cast)
    with pytest.raises(ValidationError) as caught:
        warnings.warning_resolve(
            acting_user=cast.user["branch_admin"], warning=warning, resolution=resolution, note=note
        )
    assert caught.value.message_dict == {field: [message]}
    warning.refresh_from_db()
    assert warning.is_open


def test_a_resolved_warning_is_closed_for_good(cast):
    warning = _raise(cast)
    admin = cast.user["branch_admin"]
    warnings.warning_resolve(
        acting_user=admin, warning=warning, resolution="handled", note="已开展"
    )
    with pytest.raises(ValidationError) as caught:
        warnings.warning_resolve(
            acting_user=admin, warning=warning, resolution="handled", note="再"
        )
    assert caught.value.messages == [warnings.MSG_RESOLVED]
    with pytest.raises(ValidationError):
        warnings.warning_assign(acting_user=admin, warning=warning, assignee=admin)
    # The job raising the same key again finds it and changes nothing.
    assert _raise(cast).resolution == "handled"


# --- automatic clearing -----------------------------------------------------------------


def test_clear_resolves_only_the_matching_open_warnings(cast):
    first = _raise(cast, "B1", key="a")
    other_kind = warnings.register_kind("testing.other", label="其他")
    kept = [
        _raise(cast, "B2", key="b"),
        warnings.warning_raise(
            kind=other_kind.name, org=cast.org["B1"], subject=cast.org["B1"], dedupe_key="o"
        ),
    ]
    assert warnings.warnings_clear(kind=KIND, subject=cast.org["B1"]) == 1
    first.refresh_from_db()
    assert (first.resolution, first.resolved_by) == ("auto", None)
    assert all(Warning.objects.get(pk=w.pk).is_open for w in kept)
    assert warnings.warnings_clear(kind=KIND, subject=cast.org["B1"]) == 0  # nothing left
    with pytest.raises(ValueError):
        warnings.warnings_clear(kind=KIND)  # would clear every warning of the kind


def test_kinds_are_registered_once(cast):
    assert warnings.register_kind(KIND, label="测试超期", severity=3).label == "测试超期"
    with pytest.raises(ValueError):
        warnings.register_kind(KIND, label="别的名字")
    with pytest.raises(ValueError):
        warnings.register_kind("nodot", label="没有应用前缀")
    assert "orglife.theme_day_missing" in {k.name for k in warnings.kinds()}
