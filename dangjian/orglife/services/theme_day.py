"""The 主题党日 warning (预警): raised for a branch that has not held its theme day,
cleared when it is recorded."""

import datetime as dt

from dangjian.core import scope, warnings
from dangjian.core.calendar import TZ
from dangjian.orglife import rules
from dangjian.orglife.warnings import THEME_DAY_MISSING
from dangjian.orgs.models import Organisation


def _branch_admins(branch: Organisation):
    """Admins at the branch itself; failing that, at its nearest ancestor that has some."""
    from dangjian.accounts.models import User
    from dangjian.core.scope import Role

    path = branch.path
    while path:
        users = User.objects.filter(
            is_active=True, role_assignments__role=Role.ADMIN, role_assignments__org__path=path
        ).distinct()
        if users.exists():
            return users
        path = scope.path_above(path)
    return User.objects.none()


MSG_THEME_DAY_WARNING = "{branch}{month}尚未开展主题党日，请于本月内开展并记录"


def _theme_day_key(branch: Organisation, month: "rules.Period") -> str:
    return f"orglife.theme_day:{branch.pk}:{month.key}"


def theme_day_warn(*, branch: Organisation, month: "rules.Period") -> "warnings.Warning":
    """Raise the 主题党日 warning of ``branch`` for ``month`` and notify its admins.

    A core warning (``orglife.theme_day_missing``), due by the month's end, deduplicated
    per branch and month: the warning, its messages and its audit entry commit together,
    so a re-run (after a kill) adds nothing.
    """
    return warnings.warning_raise(
        kind=THEME_DAY_MISSING.name,
        org=branch,
        subject=branch,
        subject_label=branch.name,
        title=MSG_THEME_DAY_WARNING.format(branch=branch.name, month=month.label),
        period=month.key,
        due=dt.datetime.combine(month.last + dt.timedelta(days=1), dt.time.min, TZ),
        dedupe_key=_theme_day_key(branch, month),
        recipients=_branch_admins(branch),
    )


def _resolve_warning(branch: Organisation, month: "rules.Period") -> None:
    """The month's 主题党日 is recorded: its warning clears itself."""
    warnings.warnings_clear(kind=THEME_DAY_MISSING.name, dedupe_key=_theme_day_key(branch, month))
