"""Entry writes: validation at its boundaries, versions, scope of editing and of drafts."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dangjian.core.models import AuditEntry
from dangjian.knowledge import selectors
from dangjian.knowledge.models import EntryStatus, KbGeneration
from dangjian.knowledge.services import kb as services
from dangjian.knowledge.tests.kb_helpers import make_entry


def test_create_writes_a_version_and_an_audit_entry(cast):
    entry = make_entry(cast.org["C1"], user=cast.user["agent"], publish=False)
    assert entry.status == EntryStatus.DRAFT
    assert [v.number for v in entry.versions.all()] == [1]
    assert entry.versions.get().author == cast.user["agent"]
    assert AuditEntry.objects.filter(action="kb.entry.create", object_id=str(entry.pk)).exists()


def test_every_change_is_a_new_version_with_its_author(cast):
    agent = cast.user["agent"]
    entry = make_entry(cast.org["C1"], user=agent, publish=False)
    services.entry_update(acting_user=agent, entry=entry, answer="新的答案")
    services.entry_publish(acting_user=cast.user["city_admin"], entry=entry)
    services.entry_retire(acting_user=agent, entry=entry)
    versions = list(selectors.entry_versions(entry))
    assert [(v.number, v.action) for v in versions] == [
        (4, "retire"),
        (3, "publish"),
        (2, "edit"),
        (1, "create"),
    ]
    assert versions[2].data["answer"] == "新的答案"
    assert versions[1].author == cast.user["city_admin"]
    diff = selectors.version_diff(versions)
    assert diff[2]["changed"] == ["answer"]


def test_an_edit_that_changes_nothing_writes_no_version(cast):
    entry = make_entry(cast.org["C1"], publish=False)
    services.entry_update(acting_user=cast.user["agent"], entry=entry, answer=entry.answer)
    assert entry.versions.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("question", "问", services.MSG_QUESTION_SHORT),
        ("question", "问" * 201, services.MSG_QUESTION_LONG),
        ("answer", "   ", services.MSG_ANSWER_EMPTY),
        ("answer", "答" * 20_001, services.MSG_ANSWER_LONG),
        ("tags", ["标" * 21], services.MSG_TAGS),
        ("alternatives", [f"问法{i}" for i in range(31)], services.MSG_ALTERNATIVES),
    ],
)
def test_invalid_fields_are_refused_with_a_chinese_message(cast, field, value, message):
    with pytest.raises(ValidationError) as exc:
        make_entry(cast.org["C1"], **{field: value})
    assert exc.value.message_dict[field] == [message]


def test_limits_themselves_are_accepted(cast):
    entry = make_entry(
        cast.org["C1"],
        question="问" * 200,
        answer="答" * 20_000,
        tags=["标" * 20] * 1,
        alternatives=[f"问法{i}" for i in range(30)],
        publish=False,
    )
    assert len(entry.alternatives) == 30


def test_validity_range_and_duplicates(cast):
    with pytest.raises(ValidationError) as exc:
        make_entry(cast.org["C1"], valid_from=dt.date(2026, 5, 2), valid_until=dt.date(2026, 5, 1))
    assert exc.value.message_dict["valid_until"] == [services.MSG_VALID_RANGE]
    first = make_entry(cast.org["C1"])
    with pytest.raises(ValidationError) as exc:
        make_entry(cast.org["C1"], question="  如何转接党组织关系？ ")
    assert exc.value.message_dict["question"] == [services.MSG_DUPLICATE.format(id=first.pk)]
    make_entry(cast.org["C2"])  # another organisation may hold the same question


def test_an_expired_entry_cannot_be_published(cast):
    entry = make_entry(cast.org["C1"], publish=False, valid_until=dt.date(2000, 1, 1))
    with pytest.raises(ValidationError) as exc:
        services.entry_publish(acting_user=None, entry=entry)
    assert exc.value.message_dict["valid_until"] == [services.MSG_EXPIRED]


def test_alternatives_are_cleaned(cast):
    entry = make_entry(
        cast.org["C1"],
        alternatives=[" 组织关系  怎么转 ", "组织关系 怎么转", "", "如何转接党组织关系？"],
    )
    assert entry.alternatives == ["组织关系 怎么转"]


def test_only_editors_over_the_org_may_write(cast):
    with pytest.raises(PermissionDenied):  # sees the organisation, is not an editor
        make_entry(cast.org["B1"], user=cast.user["member"])
    with pytest.raises(Http404):  # cannot even see the organisation
        make_entry(cast.org["C2"], user=cast.user["agent"])
    entry = make_entry(cast.org["P"], user=cast.user["province_admin"], publish=False)
    with pytest.raises(Http404):  # a draft above the agent: not visible at all
        services.entry_publish(acting_user=cast.user["agent"], entry=entry)
    services.entry_publish(acting_user=cast.user["province_admin"], entry=entry)
    with pytest.raises(PermissionDenied):  # published: visible, but not theirs to edit
        services.entry_retire(acting_user=cast.user["agent"], entry=entry)


@pytest.mark.parametrize(
    ("user_key", "sees_draft"),
    [
        ("root", True),
        ("province_admin", True),
        ("city_admin", True),
        ("agent", True),  # agent at C1: editor over the K1 draft
        ("county_admin", True),
        ("committee_admin", False),  # below the owning county
        ("sibling_county_admin", False),
        ("county_leader", False),  # sees the county, but does not edit the base
        ("member", False),
        ("handler", False),
        ("examiner", False),
        ("outsider", False),
    ],
)
def test_drafts_are_seen_only_by_editors_at_or_above_the_owner(cast, user_key, sees_draft):
    draft = make_entry(cast.org["K1"], publish=False, question="草稿问题是什么？")
    published = make_entry(cast.org["K1"], question="已发布的问题是什么？")
    user = cast.user[user_key]
    visible = set(selectors.entry_queryset(user).values_list("pk", flat=True))
    assert published.pk in visible
    assert (draft.pk in visible) is sees_draft


def test_publish_retire_and_edit_of_published_bump_the_generation(cast):
    generation = lambda: KbGeneration.objects.get_or_create(pk=1)[0].value  # noqa: E731
    entry = make_entry(cast.org["C1"], publish=False)
    start = generation()
    services.entry_update(acting_user=None, entry=entry, answer="草稿改动不影响索引")
    assert generation() == start
    services.entry_publish(acting_user=None, entry=entry)
    assert generation() == start + 1
    entry.refresh_from_db()
    assert entry.generation == start + 1
    services.entry_update(acting_user=None, entry=entry, source="只改依据：索引不变")
    assert generation() == start + 1
    # The answer is indexed (the bot's domain stage matches questions against it).
    services.entry_update(acting_user=None, entry=entry, answer="改了答案：索引重读")
    assert generation() == start + 2
    services.entry_update(acting_user=None, entry=entry, alternatives=["组织关系转到外省"])
    assert generation() == start + 3
    services.entry_retire(acting_user=None, entry=entry)
    assert generation() == start + 4
    with pytest.raises(ValidationError):
        services.entry_update(acting_user=None, entry=entry, answer="已停用不能改")


def test_turning_an_answer_into_a_case_draft(cast):
    entry = services.entry_create_from_answer(
        acting_user=cast.user["agent"],
        org=cast.org["C1"],
        question="外出务工的党员怎么参加组织生活？",
        answer="可以持流动党员活动证，在务工地流动党员党组织参加组织生活。",
    )
    assert (entry.kind, entry.status) == ("case", "draft")


def test_answers_render_without_scripts():
    html = selectors.answer_html("**加粗** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<strong>加粗</strong>" in html
    assert "<script>" not in html
    assert 'href="javascript' not in html
