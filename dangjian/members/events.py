"""The domain events members publish (core.events)."""

from dangjian.core import events

POLITICAL_BIRTHDAY = events.declare(
    "members.political_birthday",
    label="政治生日",
    payload={
        "member_id": (int, "党员"),
        "years": (int, "党龄（周年）"),
        "on": (str, "日期（YYYY-MM-DD）；与 member_id 一起可作去重键"),
    },
    doc="A member's admission anniversary (入党纪念日) today: the points module turns it "
    "into 红能量. Published once per member and day by the daily job; a subscriber keys "
    "what it does on (member_id, on), since a job re-run after a lost worker may publish "
    "again.",
)
