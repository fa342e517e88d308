"""Demo data: two transfers from the demo accounts' branch — one in progress (the demo
member's own, to a branch of the same county: approved by their branch and waiting at
the next organisation), one completed (another member out of the province and off the
platform: approved up to the 省委, letter issued, the 回执 recorded by the sender). The
completed one leaves the platform so the demo's members stay exactly the generator's
plan (tests/test_seed_demo.py fingerprints it). Through the services (audited); a
second run adds nothing."""

from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core.scope import Role
from dangjian.members.choices import CURRENT_STATUSES
from dangjian.members.models import Member
from dangjian.orgs import tree
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation
from dangjian.transfers import services
from dangjian.transfers.models import Transfer


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


def seed(*, root_user, seed: int, progress) -> None:
    home = _home_branch()
    if home is None or Transfer.objects.exists():
        return
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
    progress("组织关系转接：演示数据（办理中1件、已完成1件）")
