"""The 12371 chat (open to everyone) and the knowledge base's editors (core.menu)."""

from dangjian.core.menu import Entry, register
from dangjian.knowledge.permissions import EDIT_KB

register(
    Entry(
        "chat",
        "12371咨询",
        "knowledge:chat",
        40,
        everyone=True,
        short="咨询",
        section="knowledge",
        url_names=frozenset({"chat"}),
    ),
    Entry(
        "kb",
        "知识库",
        "knowledge:kb_list",
        110,
        perms=(EDIT_KB,),
        section="knowledge",
        exclude=frozenset({"chat", "chat_pick", "chat_handoff", "chat_feedback"}),
    ),
)
