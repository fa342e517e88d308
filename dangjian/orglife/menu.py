"""Organisational life's menu entry (core.menu): members see the meetings they are
called to even without a role."""

from dangjian.core.menu import Entry, register
from dangjian.orglife.permissions import VIEW_ORGLIFE

register(
    Entry(
        "orglife",
        "组织生活",
        "orglife:list",
        20,
        perms=(VIEW_ORGLIFE,),
        member=True,
        section="orglife",
    ),
)
