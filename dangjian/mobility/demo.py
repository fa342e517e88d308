"""Demo data: mobile members, a 流动党小组, lost-contact cases and 自行脱党 flags.

For the branches of the demo accounts (then the first others): two members of each are
registered as mobile, hosted by the next branch of the sample (by its 组织代码), with an
activity recorded at the host and a 流动党小组 there; one member of each is lost
contact, with two search attempts; one has overdue assigned work. Then the 自行脱党
flags are evaluated for the sample, so the warnings page has something to show.
Everything goes through the services (audited); a second run adds nothing.
"""

import datetime as dt

from django.utils import timezone

from dangjian.core.scope import Role
from dangjian.members.choices import CURRENT_STATUSES
from dangjian.mobility import rules, services
from dangjian.mobility.models import Registration
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation

SAMPLE_BRANCHES = 6
REASONS = ["外出务工", "外出经商", "在外地求学"]


def _sample() -> list[Organisation]:
    active = Organisation.objects.filter(org_type=OrgType.BRANCH, dissolved_on__isnull=True)
    with_accounts = list(
        active.filter(role_assignments__role=Role.ADMIN).distinct().order_by("path")
    )
    others = active.exclude(pk__in=[b.pk for b in with_accounts]).order_by("path")
    return (with_accounts + list(others[:SAMPLE_BRANCHES]))[:SAMPLE_BRANCHES]


def seed(*, root_user, seed: int, progress) -> None:
    branches = _sample()
    if len(branches) < 2 or Registration.objects.filter(member__branch__in=branches).exists():
        return
    today = timezone.localdate()
    for i, branch in enumerate(branches):
        host = branches[(i + 1) % len(branches)]
        members = list(branch.members.filter(status__in=CURRENT_STATUSES).order_by("pk")[:4])
        if len(members) < 4:
            continue
        group = services.group_create(
            acting_user=root_user, host_org=host, name=f"{branch.name[:8]}流动党小组"
        )
        for k, member in enumerate(members[:2]):
            registration = services.registration_create(
                acting_user=root_user,
                member=member,
                reason=REASONS[(seed + i + k) % len(REASONS)],
                away_since=today - dt.timedelta(days=40 + 30 * k),
                expected_until=rules.add_months(today, 8 + k),
                host_code=host.code,
            )
            services.participation_add(
                acting_user=root_user,
                registration=registration,
                held_on=today - dt.timedelta(days=7),
                kind="meeting",
                title="流入地党支部主题党日",
            )
            services.registration_set_group(
                acting_user=root_user, registration=registration, group=group
            )
        lost = services.lost_mark(
            acting_user=root_user,
            member=members[2],
            since=rules.add_months(today, -7),
            circumstances="外出后手机停机，家人不知去向",
        )
        for days, method, result in (
            (180, "phone", "电话停机"),
            (60, "relatives", "亲属称其在外省务工，无联系方式"),
        ):
            services.attempt_add(
                acting_user=root_user,
                case=lost,
                tried_on=today - dt.timedelta(days=days),
                method=method,
                result=result,
            )
        services.assignment_create(
            acting_user=root_user,
            member=members[3],
            title="联系帮扶辖区困难群众",
            assigned_on=rules.add_months(today, -9),
            due_on=rules.add_months(today, -8),
        )
        progress(f"流动党员：{branch.name}（{i + 1}/{len(branches)}）")
    raised, _ = services.lapse_flags(branches=branches, as_of=today)
    progress(f"自行脱党情形提示：{raised} 条")
