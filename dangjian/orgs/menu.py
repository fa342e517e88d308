"""The organisation tree's menu entry (core.menu)."""

from dangjian.core.menu import Entry, register
from dangjian.orgs.permissions import VIEW_ORG

register(Entry("orgs", "组织", "orgs:tree", 60, perms=(VIEW_ORG,), section="orgs"))
