"""REST endpoints of organisational life (组织生活): meetings, attendance and check-in,
leave, resolutions and votes, comments, photos, compliance and warnings.

Reads go through ``orglife.selectors`` (scoped: a meeting outside the caller's subtree,
or one they are not called to, is a 404), writes through ``orglife.services``. A domain
rule refusing a write is a 422 on the body field it concerns (``host_id``, ``token`` ...).

One module a section, each adding its operations to the one ``router`` (``common``):
``meetings``, ``attendance``, ``votes``, ``comments``, ``compliance``; the schemas are in
``schemas``.
"""

from dangjian.orglife.api import attendance, comments, compliance, meetings, votes
from dangjian.orglife.api.common import router

__all__ = ["attendance", "comments", "compliance", "meetings", "router", "votes"]
