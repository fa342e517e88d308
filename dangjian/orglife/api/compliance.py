"""Compliance figures of a subtree and its 组织生活 warnings."""

from django.http import Http404
from ninja import Query
from ninja.pagination import paginate

from dangjian.core.apitools import Paging, invalid
from dangjian.orglife import rules, selectors
from dangjian.orglife.api.common import router
from dangjian.orglife.api.schemas import (
    ComplianceOut,
    ComplianceQuery,
    ComplianceWarningOut,
    ComplianceWarningQuery,
)
from dangjian.orglife.choices import MeetingKind
from dangjian.orgs import selectors as org_selectors

MSG_NO_SCOPE = "您没有可查看的组织生活范围"


def figures(result: rules.Compliance) -> dict:
    labels = dict(MeetingKind.choices)
    return {
        "branches": result.branches,
        "branches_behind": result.branches_behind,
        "required": result.required,
        "met": result.met,
        "rate": result.rate,
        "behind_on": result.behind_on,
        "kinds": [
            {
                "kind": kind,
                "kind_label": labels[kind],
                "required": r.required,
                "met": r.met,
                "missed": r.missed,
                "pending": r.pending,
                "held": r.held,
            }
            for kind, r in result.kinds.items()
        ],
    }


def _row(row) -> dict:
    return {
        "org_id": row.org.pk,
        "org_name": row.org.name,
        "org_type": row.org.org_type,
        "compliance": figures(row.compliance),
    }


def _scope_root(user, org_id):
    if org_id is not None:
        return org_selectors.org_get(user, org_id)
    root = selectors.compliance_root(user)
    if root is None:
        raise Http404(MSG_NO_SCOPE)
    return root


@router.get(
    "/compliance",
    response=ComplianceOut,
    summary="组织生活合规情况（所辖党支部按期开展三会一课等；可逐级下钻）",
)
def compliance(request, query: Query[ComplianceQuery]):
    user = request.user
    org = _scope_root(user, query.org_id)
    try:
        period = rules.parse_period(query.period) if query.period else selectors.default_period()
    except ValueError as exc:
        raise invalid(("query", "period"), str(exc), "period") from None
    table = selectors.compliance_table(user, org, period)
    return {
        "org_id": org.pk,
        "org_name": org.name,
        "period": period.key,
        "period_label": period.label,
        "total": figures(table.total),
        "rows": [_row(r) for r in table.rows],
        "behind": [_row(r) for r in table.behind],
        "behind_more": table.behind_more,
    }


@router.get(
    "/warnings",
    response=list[ComplianceWarningOut],
    summary="未解除的组织生活预警（处理、指派见 /api/v1/warnings）",
)
@paginate(Paging)
def warning_list(request, query: Query[ComplianceWarningQuery]):
    org = org_selectors.org_get(request.user, query.org_id) if query.org_id else None
    return selectors.warnings_open(request.user, org)
