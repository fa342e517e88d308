"""发展党员's part of the access matrix (tests/access/spec.py).

The objects are an applicant per branch, who applied five days ago (the talk is the next
step, due within a month), each with their 入党申请书; B1's applicant has an account (the
``outsider`` user, who holds no role) and follows their own record. An applicant is
seen with VIEW_RECRUITMENT over their branch (管理员, 单位领导, 审查人员 — not ordinary
members, 12371 agents or handlers) and by themself; steps, termination and uploads
need CHANGE_RECRUITMENT (管理员) — except that the applicant may upload a 思想汇报.
"""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dangjian.orgs.models import Organisation
from dangjian.orgs.tests.access import orgs
from dangjian.recruitment import services
from dangjian.recruitment.models import Applicant, Document, RecruitmentPlan, StepRecord
from dangjian.recruitment.permissions import CHANGE_RECRUITMENT, VIEW_RECRUITMENT
from tests.access.spec import Endpoint, Kind, Obj, Page, Spec
from tests.kit import BRANCHES, new_id_number

API = "/api/v1/recruitment/applicants/{applicant_id}"
OWNER = {"B1": "outsider"}


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("材料.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


def own(user_key: str, obj: Obj) -> bool:
    return obj.owner == user_key


def applicants(ctx) -> list[Obj]:
    root = ctx.cast.user["root"]
    made = []
    for key in BRANCHES:
        owner = OWNER.get(key)
        applicant = services.applicant_create(
            acting_user=root,
            branch=ctx.cast.org[key],
            name=f"{key}申请人",
            id_number=new_id_number(dt.date(2001, 4, 5)),
            ethnicity="汉族",
            education="bachelor",
            applied_on=timezone.localdate() - dt.timedelta(days=5),
            document=pdf(),
            user=ctx.cast.user[owner] if owner else None,
        )
        document = applicant.documents.get()
        made.append(Obj(key, applicant.pk, key, Applicant, owner, {"document": document.pk}))
    return made


def branches(ctx) -> list[Obj]:
    return [Obj(k, ctx.cast.org[k].pk, k, Organisation) for k in BRANCHES]


def state():
    return (
        list(Applicant.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        StepRecord.objects.count(),
        Document.objects.count(),
        list(RecruitmentPlan.objects.order_by("pk").values_list("pk", "quota")),
    )


def _today() -> str:
    return timezone.localdate().isoformat()


def _api(method: str, suffix: str, **kw) -> Endpoint:
    return Endpoint(method, API + suffix, obj="applicant", **kw)


def _page(method: str, name: str, **kw) -> Page:
    return Page(method, f"recruitment:{name}", obj="applicant", **kw)


CHANGE = {"perm": CHANGE_RECRUITMENT}

SPEC = Spec(
    module="recruitment",
    kinds=[
        Kind("applicant", applicants, view=VIEW_RECRUITMENT, also=own),
        Kind("recruit_branch", branches, view=VIEW_RECRUITMENT),
        Kind("recruit_org", orgs, view=VIEW_RECRUITMENT),
    ],
    endpoints=[
        _api("get", ""),
        _api(
            "post",
            "/steps",
            **CHANGE,
            multipart=True,
            body=lambda ctx, obj: {"step": "talk", "done_on": _today(), "note": "谈话顺利"},
        ),
        _api("post", "/terminate", **CHANGE, body=lambda ctx, obj: {"reason": "本人撤回申请"}),
        _api("get", "/document-file", query=lambda ctx, obj: {"document_id": obj.data["document"]}),
        _page("get", "detail"),
        _page("get", "record_pdf"),
        _page(
            "post",
            "step",
            **CHANGE,
            ok=302,
            args=lambda obj: [obj.pk, "talk"],
            body=lambda ctx, obj: {"talk-done_on": _today()},
        ),
        _page("get", "terminate", **CHANGE),
        _page("post", "terminate", **CHANGE, ok=302, body=lambda c, o: {"reason": "迁出本地"}),
        _page(
            "post",
            "document_add",
            **CHANGE,
            may_also=own,
            ok=302,
            body=lambda ctx, obj: {"kind": "thought_report", "upload": pdf()},
        ),
        _page("get", "document", args=lambda obj: [obj.pk, obj.data["document"]]),
        Endpoint(
            "get",
            "/api/v1/recruitment/pipeline",
            obj="recruit_org",
            query=lambda ctx, obj: {"org": obj.pk},
        ),
        Endpoint(
            "put",
            "/api/v1/recruitment/plans",
            obj="recruit_org",
            perm=CHANGE_RECRUITMENT,
            body=lambda ctx, obj: {"org_id": obj.pk, "year": 2026, "quota": 9},
        ),
        Endpoint(
            "post",
            "/api/v1/recruitment/applicants",
            obj="recruit_branch",
            perm=CHANGE_RECRUITMENT,
            ok=201,
            multipart=True,
            body=lambda ctx, obj: {
                "branch_id": obj.pk,
                "name": "新申请人",
                "id_number": new_id_number(dt.date(2002, 8, 9)),
                "ethnicity": "汉族",
                "education": "bachelor",
                "applied_on": _today(),
                "document": pdf(),
            },
        ),
        Page("get", "recruitment:pipeline", obj="recruit_org"),
        Page(
            "post",
            "recruitment:plan",
            obj="recruit_org",
            perm=CHANGE_RECRUITMENT,
            ok=302,
            body=lambda ctx, obj: {"year": 2026, "quota": 7},
        ),
        Page("get", "recruitment:create", obj="recruit_branch", perm=CHANGE_RECRUITMENT),
        Page(
            "post",
            "recruitment:create",
            obj="recruit_branch",
            perm=CHANGE_RECRUITMENT,
            ok=302,
            body=lambda ctx, obj: {
                "name": "新申请人",
                "id_number": new_id_number(dt.date(2002, 8, 9)),
                "ethnicity": "汉族",
                "education": "bachelor",
                "applied_on": _today(),
                "document": pdf(),
            },
        ),
    ],
    exempt={
        "GET /api/v1/recruitment/applicants": "a list: exactly the scope, recruitment/tests/test_access.py",
    },
    state=state,
    roles={
        VIEW_RECRUITMENT: {"admin", "leader", "examiner"},
        CHANGE_RECRUITMENT: {"admin"},
    },
)
