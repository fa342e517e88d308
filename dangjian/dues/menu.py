"""Party dues' menu entry (core.menu): every member pays their own."""

from dangjian.core.menu import Entry, register
from dangjian.dues.permissions import VIEW_DUES

register(
    Entry("dues", "党费", "dues:mine", 50, perms=(VIEW_DUES,), member=True, section="dues"),
)
