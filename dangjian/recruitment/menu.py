"""发展党员's menu entry (core.menu)."""

from dangjian.core.menu import Entry, register
from dangjian.recruitment.permissions import VIEW_RECRUITMENT

register(
    Entry(
        "recruitment",
        "发展党员",
        "recruitment:index",
        80,
        perms=(VIEW_RECRUITMENT,),
        section="recruitment",
    ),
)
