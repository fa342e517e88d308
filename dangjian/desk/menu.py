"""The service desk's console for agents and department handlers (core.menu)."""

from dangjian.core.menu import Entry, register
from dangjian.desk.permissions import HANDLE_CONSULT


def _office_contact(user) -> bool:
    from dangjian.desk import selectors

    return selectors.is_office_contact(user)


register(
    Entry("desk", "工单", "desk:order_console", 35, perms=(HANDLE_CONSULT,), section="desk"),
    # An office's 责任人 or 联络员 who holds no desk role answers the centre's requests
    # (协商联动) from here; the desk's staff reach them from the console.
    Entry(
        "desk_consultations",
        "协商联动",
        "desk:my_consultations",
        36,
        shown_if=_office_contact,
        section="desk",
        url_names=frozenset({"my_consultations"}),
    ),
)
