"""The 发展党员 pages and API as a branch secretary, an upper committee and an applicant use them."""

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.core import rollups
from dangjian.core.models import AuditEntry
from dangjian.recruitment.models import Applicant
from dangjian.recruitment.tests.test_services import admit, apply, pdf
from tests.kit import new_id_number


@pytest.mark.django_db
def test_register_an_application_then_the_talk(client, cast, login):
    login(cast.user["branch_admin"])
    url = reverse("recruitment:create", args=[cast.org["B1"].pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "陈申请",
            "id_number": new_id_number(dt.date(2000, 1, 2)),
            "ethnicity": "汉族",
            "education": "bachelor",
            "applied_on": "2026-11-20",
            "document": pdf(),
        },
    )
    applicant = Applicant.objects.get(name="陈申请")
    assert response.status_code == 302
    page = client.get(reverse("recruitment:detail", args=[applicant.pk])).content.decode()
    assert "全程纪实" in page and "第2步 党组织派人谈话" in page and "入党谈话" in page
    response = client.post(
        reverse("recruitment:step", args=[applicant.pk, "talk"]), {"talk-done_on": "2026-11-25"}
    )
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.status == "talk" and applicant.talked_on == dt.date(2026, 11, 25)


@pytest.mark.django_db
def test_an_application_names_the_applicants_account(client, cast, login):
    login(cast.user["branch_admin"])
    url = reverse("recruitment:create", args=[cast.org["B1"].pk])
    fields = {
        "name": "周申请",
        "id_number": new_id_number(dt.date(2000, 1, 2)),
        "ethnicity": "汉族",
        "education": "bachelor",
        "applied_on": "2026-11-20",
    }
    page = client.post(url, {**fields, "document": pdf(), "account": "nobody"}).content.decode()
    assert "没有该登录账号（或已停用）" in page and not Applicant.objects.filter(name="周申请")
    response = client.post(url, {**fields, "document": pdf(), "account": " outsider "})
    assert response.status_code == 302
    assert Applicant.objects.get(name="周申请").user == cast.user["outsider"]


@pytest.mark.django_db
def test_api_application_with_an_account_already_a_members_is_a_422(client, cast, bearer):
    response = client.post(
        "/api/v1/recruitment/applicants",
        {
            "branch_id": cast.org["B1"].pk,
            "name": "吴申请",
            "id_number": new_id_number(dt.date(2000, 1, 2)),
            "ethnicity": "汉族",
            "education": "bachelor",
            "applied_on": "2026-11-20",
            "document": pdf(),
            "account": "member",
        },
        **bearer(cast.user["branch_admin"]),
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "account"] and "已绑定党员档案" in error["msg"]


@pytest.mark.django_db
def test_a_refused_step_shows_the_rule_and_date(client, cast, login):
    applicant = admit(cast, apply(cast), until="review")
    login(cast.user["branch_admin"])
    response = client.post(
        reverse("recruitment:step", args=[applicant.pk, "candidate"]),
        {"candidate-done_on": "2022-05-01"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "细则第十三条" in page and "2022年5月10日起方可确定为发展对象" in page
    applicant.refresh_from_db()
    assert applicant.status == "contacts"


@pytest.mark.django_db
def test_upper_steps_not_offered_to_the_branch(client, cast, login):
    applicant = admit(cast, apply(cast), until="activist")
    login(cast.user["branch_admin"])
    page = client.get(reverse("recruitment:detail", args=[applicant.pk])).content.decode()
    assert 'data-step="activist_filed"' not in page
    client.logout()
    login(cast.user["committee_admin"])
    page = client.get(reverse("recruitment:detail", args=[applicant.pk])).content.decode()
    assert 'data-step="activist_filed"' in page


@pytest.mark.django_db
def test_printable_record_is_a_pdf_and_audited(client, cast, login):
    applicant = admit(cast, apply(cast), until="approve")
    login(cast.user["county_leader"])
    response = client.get(reverse("recruitment:record_pdf", args=[applicant.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="recruitment.applicant.print").count() == 1


@pytest.mark.django_db
def test_pipeline_counts_stages_and_admissions_against_plan(client, cast, login):
    apply(cast)
    admitted = admit(cast, apply(cast, name="周对象"), until="approve")
    rollups.refresh()
    from dangjian.recruitment import services

    services.plan_set(acting_user=cast.user["county_admin"], org=cast.org["K1"], year=2022, quota=4)
    login(cast.user["county_admin"])
    response = client.get("/api/v1/recruitment/pipeline", {"org": cast.org["K1"].pk, "year": 2022})
    body = response.json()
    counts = {s["stage"]: s["count"] for s in body["stages"]}
    assert counts == {1: 1, 2: 0, 3: 0, 4: 0, 5: 1}
    assert (body["admitted"], body["plan"]) == (1, 4)
    page = client.get(reverse("recruitment:pipeline", args=[cast.org["K1"].pk])).content.decode()
    assert "发展进程" in page and admitted.name in page


@pytest.mark.django_db
def test_api_step_refusal_is_a_422_at_the_field(client, cast, bearer):
    applicant = apply(cast, on=dt.date(2021, 1, 31))
    headers = bearer(cast.user["branch_admin"])
    url = f"/api/v1/recruitment/applicants/{applicant.pk}/steps"
    response = client.post(url, {"step": "talk", "done_on": "2021-03-01"}, **headers)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "done_on"] and "最迟2021年2月28日" in error["msg"]
    response = client.post(url, {"step": "activist", "done_on": "2021-02-01"}, **headers)
    assert response.json()["detail"][0]["loc"] == ["body", "status"]
    response = client.post(url, {"step": "talk", "done_on": "2021-02-28"}, **headers)
    assert response.status_code == 200 and response.json()["status"] == "talk"
    detail = client.get(f"/api/v1/recruitment/applicants/{applicant.pk}", **headers).json()
    assert [s["number"] for s in detail["steps"]] == [1, 2]


@pytest.mark.django_db
def test_applicant_with_an_account_follows_their_own_record(client, cast, login):
    applicant = apply(cast)
    Applicant.objects.filter(pk=applicant.pk).update(user=cast.user["outsider"])
    login(cast.user["outsider"])
    response = client.get(reverse("recruitment:index"))
    assert response.status_code == 302 and response.url.endswith(f"/recruitment/{applicant.pk}/")
    page = client.get(response.url).content.decode()
    assert "上传思想汇报" in page and 'class="step-form"' not in page
    response = client.post(
        reverse("recruitment:document_add", args=[applicant.pk]),
        {"kind": "thought_report", "upload": pdf("思想汇报.pdf")},
    )
    assert response.status_code == 302
    assert applicant.documents.filter(kind="thought_report").count() == 1
