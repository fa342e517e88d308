"""Mobile and lost-contact members' menu entries (core.menu)."""

from dangjian.core.menu import Entry, register
from dangjian.mobility.permissions import VIEW_MOBILITY

LOST = frozenset({"lost", "lost_create", "lost_detail", "attempt_add", "lost_close"})

register(
    Entry(
        "mobility",
        "流动党员",
        "mobility:list",
        90,
        perms=(VIEW_MOBILITY,),
        section="mobility",
        exclude=LOST,
    ),
    Entry(
        "lost",
        "失联党员",
        "mobility:lost",
        95,
        perms=(VIEW_MOBILITY,),
        section="mobility",
        url_names=LOST,
    ),
)
