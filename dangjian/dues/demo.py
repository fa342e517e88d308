"""Demo data: a year of dues for a sample of the demo province's branches (the demo
accounts' branches first): bases by category, monthly bills up to this month, most paid
(cash, bank, 代缴), some months in arrears and a few members six months behind, so
``make demo`` shows bills, payments, arrears lists and the six-month warning. Everything
goes through the services (audited, on the ledger); a second run adds nothing."""

import random

from django.utils import timezone

from dangjian.core.scope import Role
from dangjian.dues import rules, services, tasks
from dangjian.dues.models import DuesBase
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation

SAMPLE_BRANCHES = 6
MEMBERS_PER_BRANCH = 25
MONTHS = 12


def _sample() -> list[Organisation]:
    active = Organisation.objects.filter(org_type=OrgType.BRANCH, dissolved_on__isnull=True)
    first = list(active.filter(role_assignments__role=Role.ADMIN).distinct().order_by("path"))
    others = active.exclude(pk__in=[b.pk for b in first]).order_by("path")
    return (first + list(others[:SAMPLE_BRANCHES]))[:SAMPLE_BRANCHES]


def seed(*, root_user, seed: int, progress) -> None:
    branches = _sample()
    if not branches or DuesBase.objects.filter(member__branch__in=branches).exists():
        return
    rng = random.Random(f"dues-{seed}")
    this = rules.month_start(timezone.localdate())
    months = [rules.add_months(this, -i) for i in range(MONTHS - 1, -1, -1)]
    for i, branch in enumerate(branches, 1):
        members = list(
            Member.objects.filter(branch=branch, status__in=services.BILLED_STATUSES).order_by(
                "pk"
            )[:MEMBERS_PER_BRANCH]
        )
        for n, member in enumerate(members):
            category = rng.choice(["employed"] * 5 + ["retired"] * 3 + ["farmer", "student"])
            base = rng.randint(1800, 16000) * 100 if category in ("employed", "retired") else None
            start = max(months[0], rules.first_billable_month(member.joined_on))
            services.base_set(
                acting_user=root_user,
                member=member,
                category=category,
                effective_month=start,
                base_fen=base,
            )
            for month in months:
                if month >= start:
                    services.bills_issue(month=month, members=Member.objects.filter(pk=member.pk))
            behind = 7 if n % 12 == 5 else (rng.choice([0, 0, 0, 1, 2]))
            paid = [m for m in months if m >= start][: max(0, len(months) - behind)]
            for j in range(0, len(paid), 3):
                services.payment_record(
                    acting_user=root_user,
                    member=member,
                    months=paid[j : j + 3],
                    channel=rng.choice(["cash", "bank"]),
                    payer_kind="relative" if n % 9 == 4 else "self",
                    payer_name="家属代缴" if n % 9 == 4 else "",
                )
        progress(f"党费：{branch.name}（{i}/{len(branches)}）")
    tasks.flag_unpaid(timezone.localdate())
