"""Every read on party dues, through ``visible_to`` (a member sees their own).

For other modules (documented in docs/dues.md):

- :func:`paid_up_to` — the first day of the last month fully paid (党费交到…), or None;
  the transfer letter prints it.
- :func:`my_owed`, :func:`arrears_members` — the home page's figures (a member's unpaid
  bills; how many members of a branch owe).
- :func:`months_unpaid` — consecutive unpaid months up to a date, per member; the
  自行脱党 flag (六个月不交纳党费) uses it.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch, QuerySet, Sum
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.scope import Perm
from dangjian.dues import rules
from dangjian.dues.models import Bill, BillStatus, BranchSetting, DuesBase, Payment
from dangjian.members.choices import Status

# Members who are billed (services.bills_issue): the 核定 page lists them.
BILLED_STATUSES = (Status.FULL, Status.PROBATIONARY, Status.MOBILE, Status.LOST_CONTACT)


def paid_up_to(member) -> dt.date | None:
    """The first day of the last month up to which every bill is paid (None: none is)."""
    bills = Bill.objects.filter(member_id=member.pk)
    first_unpaid = (
        bills.filter(status=BillStatus.UNPAID).order_by("month").values_list("month", flat=True)
    ).first()
    paid = bills.filter(status=BillStatus.PAID)
    if first_unpaid is not None:
        paid = paid.filter(month__lt=first_unpaid)
    return paid.aggregate(m=Max("month"))["m"]


def months_unpaid(member_ids, as_of: dt.date) -> dict[int, int]:
    """Each member's consecutive unpaid months ending at ``as_of``'s month (0 if that
    month's bill is paid or there is none). Two queries whatever the number of members."""
    ids = list(member_ids)
    last = rules.month_start(as_of)
    result = dict.fromkeys(ids, 0)
    paid = dict(
        Bill.objects.filter(member_id__in=ids, status=BillStatus.PAID, month__lte=last)
        .values("member_id")
        .annotate(m=Max("month"))
        .values_list("member_id", "m")
    )
    unpaid = defaultdict(set)
    for member_id, month in Bill.objects.filter(
        member_id__in=ids, status=BillStatus.UNPAID, month__lte=last
    ).values_list("member_id", "month"):
        unpaid[member_id].add(month)
    for member_id, months in unpaid.items():
        n, month = 0, last
        floor = paid.get(member_id)
        while month in months and (floor is None or month > floor):
            n += 1
            month = rules.add_months(month, -1)
        result[member_id] = n
    return result


def bill_list(user) -> QuerySet[Bill]:
    return Bill.objects.visible_to(user, Perm.VIEW_DUES).select_related("member__branch")


def my_bills(user) -> QuerySet[Bill]:
    own = getattr(user, "member_id", None)
    return Bill.objects.filter(member_id=own).order_by("-month") if own else Bill.objects.none()


@dataclass(frozen=True)
class Owed:
    """What a member owes: unpaid bills up to this month, how many and in total (fen)."""

    months: int
    fen: int


def my_owed(user, as_of: dt.date | None = None) -> Owed:
    """The user's own unpaid bills up to ``as_of``'s month (default this month)."""
    month = rules.month_start(as_of or timezone.localdate())
    totals = (
        my_bills(user)
        .filter(status=BillStatus.UNPAID, month__lte=month)
        .aggregate(months=Count("pk"), fen=Sum("amount_fen"))
    )
    return Owed(totals["months"], totals["fen"] or 0)


def arrears_members(user, *, org=None, as_of: dt.date | None = None) -> int:
    """How many members in the user's scope (``org``'s subtree) have unpaid bills."""
    return arrears(user, org=org, as_of=as_of).order_by().values("member_id").distinct().count()


def my_payments(user) -> QuerySet[Payment]:
    own = getattr(user, "member_id", None)
    if not own:
        return Payment.objects.none()
    return Payment.objects.filter(member_id=own).order_by("-created_at")


def arrears(user, *, org=None, as_of: dt.date | None = None) -> QuerySet[Bill]:
    """Unpaid bills up to ``as_of``'s month (default this month) in the user's scope
    (excluding their own bills unless in scope), oldest first."""
    qs = Bill.objects.visible_to(user, Perm.VIEW_DUES, also=False).filter(status=BillStatus.UNPAID)
    if as_of is not None:
        qs = qs.filter(month__lte=rules.month_start(as_of))
    if org is not None:
        qs = qs.filter(member__branch__path__startswith=org.path)
    return qs.select_related("member__branch").order_by(
        "member__branch__path", "member_id", "month"
    )


def payment_list(user) -> QuerySet[Payment]:
    return (
        Payment.objects.visible_to(user, Perm.VIEW_DUES)
        .select_related("member__branch", "recorded_by")
        .order_by("-created_at")
    )


def payment_get(user, pk) -> Payment:
    return scope.get_or_404(payment_list(user), pk=pk)


def base_list(user) -> QuerySet[DuesBase]:
    return DuesBase.objects.visible_to(user, Perm.VIEW_DUES).select_related("member__branch")


def member_get(user, pk):
    from dangjian.members.models import Member

    return scope.get_or_404(
        Member.objects.visible_to(user, Perm.VIEW_DUES).select_related("branch"), pk=pk
    )


def own_member(user):
    """The member record linked to ``user`` (None if none): one's own dues."""
    from dangjian.members.models import Member

    own = getattr(user, "member_id", None)
    if not own:
        return None
    return (
        Member.objects.visible_to(user, Perm.VIEW_MEMBER)
        .select_related("branch")
        .filter(pk=own)
        .first()
    )


# --- The dues keeper's pages --------------------------------------------------------------


def can_view(user, org) -> bool:
    return scope.covers(user, Perm.VIEW_DUES, org.path)


def can_change(user, org) -> bool:
    """CHANGE_DUES over ``org`` (核定基数, 登记缴纳, 退款, 农民党员交纳额)."""
    return scope.covers(user, Perm.CHANGE_DUES, org.path)


def keeps_dues(user) -> bool:
    """Whether the user may change dues anywhere (核定, 登记缴纳, 导入): the admin links."""
    return bool(scope.scope_paths(user, Perm.CHANGE_DUES))


def default_org(user):
    """Where the dues keeper's pages open: the top of the user's dues scope (None: none)."""
    from dangjian.orgs.models import Organisation

    paths = scope.scope_paths(user, Perm.VIEW_DUES)
    if paths is scope.ALL:
        return Organisation.objects.filter(depth=1).order_by("path").first()
    if not paths:
        return None
    return Organisation.objects.filter(path__in=paths).order_by("depth", "path").first()


def member_bases(user, org) -> QuerySet:
    """The billed members of ``org``'s subtree the user may see, each with every base
    (``base_rows``, newest first): the 党费基数核定 list. Two queries a page."""
    from dangjian.members.models import Member

    return (
        Member.objects.visible_to(user, Perm.VIEW_DUES, also=False)
        .filter(branch__path__startswith=org.path, status__in=BILLED_STATUSES)
        .select_related("branch")
        .prefetch_related(
            Prefetch(
                "dues_bases",
                queryset=DuesBase.objects.order_by("-effective_month"),
                to_attr="base_rows",
            )
        )
        .order_by("branch__path", "pk")
    )


def current_base(bases: list[DuesBase], month: dt.date | None = None) -> DuesBase | None:
    """Of a member's bases (newest first), the one in force in ``month`` (default now)."""
    month = month or rules.month_start(timezone.localdate())
    return next((b for b in bases if b.effective_month <= month), None)


def member_base_history(user, member) -> list[DuesBase]:
    return list(base_list(user).filter(member=member).order_by("-effective_month")[:24])


def farmer_fen(user, branch) -> int:
    """The branch's farmers' monthly amount (fen; 0.2 元 until it sets one)."""
    setting = BranchSetting.objects.visible_to(user, Perm.VIEW_DUES).filter(branch=branch).first()
    return setting.farmer_fen if setting else rules.FIXED_FEN


def member_bills(user, member) -> list[Bill]:
    """A member's bills, oldest first (the 登记缴纳 page picks the unpaid ones)."""
    return list(
        Bill.objects.visible_to(user, Perm.VIEW_DUES).filter(member=member).order_by("month")
    )


def member_payments(user, member, limit: int = 20) -> list[Payment]:
    return list(payment_list(user).filter(member=member)[:limit])
