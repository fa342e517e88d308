"""Member records' menu entries (core.menu): the list, and 我的档案 for a member."""

from dangjian.core.menu import Entry, register
from dangjian.members.permissions import VIEW_MEMBER

register(
    Entry("members", "党员", "members:list", 30, perms=(VIEW_MEMBER,), section="members"),
    Entry("my_record", "我的档案", "members:detail", 55, own_record=True),
)
