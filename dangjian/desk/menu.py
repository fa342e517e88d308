"""The service desk's console for agents and department handlers (core.menu)."""

from dangjian.core.menu import Entry, register
from dangjian.desk.permissions import HANDLE_CONSULT

register(Entry("desk", "工单", "desk:order_console", 35, perms=(HANDLE_CONSULT,), section="desk"))
