"""常用答复 (统一口径) kept by the desk admin: created, edited and deleted over their own
organisation departments only, each refusal at its field; agents insert them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dangjian.core.models import AuditEntry
from dangjian.desk import selectors
from dangjian.desk.models import CannedReply
from dangjian.desk.services import chats
from dangjian.desk.services.workflow import MSG_REPLY_SHORT

TEXT = "您好，党费按月交纳，特殊情况经支部同意可以按季度交纳。"


def test_the_desk_admin_keeps_the_replies_of_their_own_departments(cast):
    province_admin, county_admin = cast.user["province_admin"], cast.user["county_admin"]
    top = chats.canned_create(
        acting_user=province_admin, org=cast.org["P"], title=" 党费 ", text=TEXT, category="党费"
    )
    county = chats.canned_create(
        acting_user=county_admin, org=cast.org["K1"], title="开场问候", text="您好，请讲。"
    )
    assert top.title == "党费"  # cleaned
    assert set(selectors.canned_managed(county_admin)) == {county}
    assert set(selectors.canned_managed(province_admin)) == {top, county}
    chats.canned_update(acting_user=county_admin, reply=county, changes={"title": "问候语"})
    county.refresh_from_db()
    assert county.title == "问候语"
    assert AuditEntry.objects.filter(action="consult.canned.update").count() == 1
    chats.canned_update(acting_user=county_admin, reply=county, changes={"title": "问候语"})
    assert AuditEntry.objects.filter(action="consult.canned.update").count() == 1  # no change
    with pytest.raises(Http404):  # the province's is not the county admin's to keep
        chats.canned_update(acting_user=county_admin, reply=top, changes={"title": "改"})
    with pytest.raises(Http404):
        chats.canned_delete(acting_user=county_admin, reply=top)
    with pytest.raises((Http404, PermissionDenied)):  # an agent inserts them, never edits
        chats.canned_delete(acting_user=cast.user["agent"], reply=county)
    chats.canned_delete(acting_user=county_admin, reply=county)
    assert not CannedReply.objects.filter(pk=county.pk).exists()
    entry = AuditEntry.objects.get(action="consult.canned.delete")
    assert entry.before["title"] == "问候语"


def test_each_problem_of_a_reply_is_told_at_its_field(cast):
    admin = cast.user["province_admin"]
    with pytest.raises(ValidationError) as exc:
        chats.canned_create(
            acting_user=admin, org=cast.org["P"], title=" ", text="好", category="天气"
        )
    assert set(exc.value.message_dict) == {"title", "text", "category"}
    assert exc.value.message_dict["text"] == [MSG_REPLY_SHORT]
    reply = chats.canned_create(acting_user=admin, org=cast.org["P"], title="党费", text=TEXT)
    with pytest.raises(ValidationError) as exc:
        chats.canned_update(acting_user=admin, reply=reply, changes={"title": "长" * 61})
    assert set(exc.value.message_dict) == {"title"}
    reply.refresh_from_db()
    assert reply.title == "党费"


def test_the_pages_list_create_edit_and_delete(client, cast, login):
    admin = cast.user["county_admin"]
    login(admin)
    assert client.get("/consult/canned/").status_code == 200
    assert "常用答复" in client.get("/consult/console/").content.decode()  # linked for admins
    bad = client.post("/consult/canned/new/", {"org": cast.org["K1"].pk, "title": "", "text": TEXT})
    assert bad.status_code == 422 and "这个字段是必填项" in bad.content.decode()
    made = client.post(
        "/consult/canned/new/",
        {"org": cast.org["K1"].pk, "title": "党费交纳", "text": TEXT, "category": "党费"},
    )
    assert made.status_code == 302
    reply = CannedReply.objects.get(title="党费交纳")
    assert reply.org == cast.org["K1"] and reply.category == "党费"
    assert "党费交纳" in client.get("/consult/canned/").content.decode()
    edited = client.post(
        f"/consult/canned/{reply.pk}/edit/", {"title": "党费交纳方式", "text": TEXT}
    )
    assert edited.status_code == 302
    reply.refresh_from_db()
    assert reply.title == "党费交纳方式" and reply.category == ""
    assert client.post(f"/consult/canned/{reply.pk}/delete/").status_code == 302
    assert not CannedReply.objects.filter(pk=reply.pk).exists()
    login(cast.user["agent"])  # agents use them; the admin keeps them
    assert client.get("/consult/canned/").status_code == 403
    assert "/consult/canned/" not in client.get("/consult/console/").content.decode()
