"""Demo data: two transfers from the demo accounts' branch — one in progress (the demo
member's own, to a branch of the same county: approved by their branch and waiting at
the next organisation), one completed (another member out of the province and off the
platform: approved up to the 省委, letter issued, the 回执 recorded by the sender). The
completed one leaves the platform so the demo's members stay exactly the generator's
plan (dangjian/demo/tests/fingerprints.py compares them).

And four letters arriving from outside the platform at the same branch (组织关系转入):
one waiting at the 县委, one waiting at the branch (the last step), one accepted (a new
member record; the fingerprints leave such records out, as 发展党员's), one refused.
Through the services (audited); a second run adds nothing."""

import datetime as dt

from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core import idcard
from dangjian.core.scope import Role
from dangjian.members.choices import CURRENT_STATUSES
from dangjian.members.models import Member
from dangjian.members.selectors import member_with_id_number
from dangjian.orgs import tree
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation
from dangjian.transfers import services
from dangjian.transfers.models import IncomingTransfer, Transfer


def _home_branch() -> Organisation | None:
    """The branch of the demo member account, else the first branch with an admin."""
    linked = User.objects.filter(member__isnull=False).select_related("member__branch").first()
    if linked is not None:
        return linked.member.branch
    return (
        Organisation.objects.filter(
            org_type=OrgType.BRANCH, dissolved_on__isnull=True, role_assignments__role=Role.ADMIN
        )
        .order_by("path")
        .first()
    )


def _near(home: Organisation) -> Organisation | None:
    """Another active branch of the same county."""
    near = Organisation.objects.filter(org_type=OrgType.BRANCH, dissolved_on__isnull=True).exclude(
        pk=home.pk
    )
    county = tree.nearest_ancestor(home, level="county")
    if county is not None:
        near = near.filter(path__startswith=county.path)
    return near.order_by("path").first()


def _seed_out(root_user, home: Organisation) -> None:
    near = _near(home)
    movers = list(
        Member.objects.filter(branch=home, status__in=CURRENT_STATUSES).order_by("pk")[:2]
    )
    own = User.objects.filter(member__branch=home).values_list("member_id", flat=True).first()
    movers.sort(key=lambda m: m.pk != own)  # the demo member's own transfer is in progress
    if near is not None and movers:
        pending = services.transfer_apply(
            acting_user=root_user, member=movers[0], to_branch=near, reason="工作调动"
        )
        services.transfer_approve(acting_user=root_user, transfer=pending, note="同意转出")
    if len(movers) > 1:
        done = services.transfer_apply(
            acting_user=root_user,
            member=movers[1],
            external_org="广东省深圳市南山区某社区党支部",
            external_scope="out_of_province",
            reason="随配偶迁居",
        )
        while done.status == "pending":
            services.transfer_approve(acting_user=root_user, transfer=done)
        services.transfer_receive(
            acting_user=root_user, transfer=done, received_on=timezone.localdate(), note="已报到"
        )


ARRIVALS = (  # name, origin, from, issuer, steps to approve (None: all), refusal
    (
        "龙晓梅",
        "other_province",
        "贵州省贵阳市云岩区某社区党支部",
        "中共贵阳市云岩区委组织部",
        0,
        "",
    ),
    ("马志强", "military", "某部队党支部", "某部政治工作部", -1, ""),
    ("欧阳静", "central", "某部委机关党支部", "中央和国家机关工委组织部", None, ""),
    ("赵海峰", "abroad", "某驻外机构党支部", "某驻外机构党委", 0, "介绍信未加盖公章，请补办"),
)


def _fresh_id(n: int) -> str:
    """An ID number of another province (贵州, 520102) that no record of the demo holds."""
    while True:
        candidate = idcard.build("520102", dt.date(1982, 1 + n % 12, 1 + n % 28), 100 + n)
        if member_with_id_number(candidate) is None:
            return candidate
        n += 1


def _seed_in(root_user, home: Organisation) -> None:
    today = timezone.localdate()
    for n, (name, origin, from_org, issuer, steps, refusal) in enumerate(ARRIVALS):
        incoming = services.incoming_register(
            acting_user=root_user,
            to_branch=home,
            origin=origin,
            from_org=from_org,
            issuing_org=issuer,
            letter_no=f"{today.year}第{101 + n:04d}号",
            letter_issued_on=today - dt.timedelta(days=6),
            letter_valid_until=today + dt.timedelta(days=24),
            reported_on=today - dt.timedelta(days=1),
            name=name,
            id_number=_fresh_id(7 * n),
            ethnicity="汉族",
            education="bachelor",
            joined_on=dt.date(2008 + n, 7, 1),
            full_member_on=dt.date(2009 + n, 7, 1),
            member_status="full",
            dues_paid_until=today.replace(day=1),
        )
        todo = incoming.steps.count() if steps is None else steps % incoming.steps.count()
        for _ in range(todo):
            services.incoming_approve(acting_user=root_user, incoming=incoming)
        if refusal:
            services.incoming_reject(acting_user=root_user, incoming=incoming, reason=refusal)


def seed(*, root_user, seed: int, progress) -> None:
    home = _home_branch()
    if home is None:
        return
    said = []
    if not Transfer.objects.exists():
        _seed_out(root_user, home)
        said.append("转出：办理中1件、已完成1件")
    if not IncomingTransfer.objects.exists():
        _seed_in(root_user, home)
        said.append("转入：审核中2件、已接收1件、不予接收1件")
    if said:
        progress(f"组织关系转接：演示数据（{'；'.join(said)}）")
