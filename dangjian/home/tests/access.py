"""The home page's part of the access matrix (tests/access/spec.py).

The page itself names no object, but a leader drills its panel down into one
organisation with ``/?org=<id>``: that organisation must be within the user's warnings
scope (VIEW_WARNING: 管理员 and 单位领导 of it and above). Anyone else, and anything
beside or above their subtree, is answered 404 exactly as if it did not exist; a 党小组
is no subtree to drill into (404 for everyone).
"""

from dangjian.core.permissions import VIEW_WARNING
from dangjian.orgs.tests.access import orgs
from tests.access.spec import Kind, Page, Spec

SPEC = Spec(
    module="home",
    kinds=[Kind("home_org", orgs, view=VIEW_WARNING)],
    endpoints=[
        Page(
            "get",
            "home",
            obj="home_org",
            args=lambda obj: [],
            query=lambda ctx, obj: {"org": obj.pk},
            outcome=lambda user, obj: 404 if obj.key.startswith("G") else 200,
        ),
    ],
    roles={VIEW_WARNING: {"admin", "leader"}},
)
