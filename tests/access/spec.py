"""What a module declares for the shared access matrix (tests/access/test_matrix.py).

A module lists, in ``dangjian/<app>/tests/access.py``, a ``SPEC = Spec(...)`` with:

- its object **kinds**: a maker that writes one object per organisation (or per branch,
  per county, per asker …) of the cast's tree and says which organisation each belongs
  to, with the permission under which that organisation's objects are seen;
- its **endpoints** (API operations) and **pages** (URL names), each with the object
  kind it acts on, the permission it needs beyond seeing the object, and its success
  status;
- an **exempt** list: operations and pages that act on no object of the tree (lists,
  one's own inbox, public pages), each with the reason and where it is tested instead.

The shared test sends every declared request as every user of the cast to every object
of its kind and expects what the oracle derives from the tree's description
(``tests.kit.granted_orgs``, which walks TREE/USERS, not ``core.scope``):

    not visible (view permission over the object's organisation, or the kind's or the
    endpoint's ``also`` rule)                               → ``hidden`` (404)
    visible, without ``perm`` (nor the ``may_also`` rule)   → 403
    allowed                                                 → ``outcome(user, obj)`` or ``ok``

A refused request (any status ≥ 400) must change nothing: the audit log, the object's
row and the module's ``state()`` are compared before and after. An allowed write is
audited exactly ``audited`` times. Every request runs in a savepoint that is rolled
back, so each user meets every object as the maker left it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tests.kit import USER_KEYS, USERS, granted_orgs

# The organisation of a tree object is given by its key in tests.kit.TREE.
EVERYONE = "everyone"  # view rule: every logged-in user sees it (published entries)
KIND = "kind"  # an endpoint's view rule: the kind's (the default)
AUTO = "auto"  # audited: 1 for writes (not GET), unchecked for reads
NOBODY = "nobody"  # a perm no role carries, not even the superuser's: only ``may_also``

Rule = Callable[[str, "Obj"], bool]  # (user key, object) → whether the rule holds


@dataclass(frozen=True)
class Obj:
    """One object of the matrix: ``key`` names it in reports ("B1", "B1m2", "draft:K1")."""

    key: str
    pk: int
    org: str | None  # the organisation (TREE key) it belongs to; None: none
    model: Any = None  # its model, for "a refused request leaves its row as it was"
    owner: str | None = None  # the user key whose own it is (asker, submitter, attendee)
    data: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Kind:
    """How a module's objects are made and who sees them."""

    name: str
    make: Callable[["Context"], list[Obj]]
    view: Any  # the Perm that shows an object's organisation, EVERYONE, or None (only ``also``;
    # not even the superuser: one's own conversation)
    also: Rule | None = None  # seen outside the subtree rule (one's own, an attendee)


@dataclass(frozen=True, kw_only=True)
class Access:
    """What every declared request shares (see the module doc for the oracle)."""

    obj: str  # the Kind it acts on
    perm: Any = None  # the Perm it needs beyond seeing it (None: seeing is enough; or NOBODY)
    view_perm: Any = KIND  # overrides the kind's view rule
    also: Rule | None = None  # overrides the kind's also rule
    may_also: Rule | None = None  # allowed without ``perm`` (a member's own record)
    ok: int = 200
    hidden: int = 404  # the status when the object is not visible
    refused: int = 403
    outcome: Callable[[str, Obj], int] | None = None  # allowed, but the domain answers this
    expect: Callable[[str, Obj], int | None] | None = None  # the whole oracle, where it differs
    before: Callable[["Context", Obj], None] | None = None  # arranges the object for the
    # acting user inside the request's savepoint (an order claimed by them)
    body: Callable[["Context", Obj], dict] | None = None
    query: Callable[["Context", Obj], dict] | None = None
    multipart: bool = False
    audited: Any = AUTO  # allowed write: exactly this many audit entries (None: unchecked;
    # a Rule-like callable (user key, object) -> int where it depends on the object)
    unchanged: bool | Rule = False  # allowed, yet changes nothing (a form sent back with errors)
    check: Callable[["Context", Obj, Any], None] | None = None  # asserts on an allowed answer
    label: str = ""  # tells two declarations of one operation apart
    users: tuple[str, ...] = tuple(USER_KEYS)

    @property
    def writes(self) -> bool:
        return self.method != "get"

    @property
    def audit_count(self) -> int | None:
        if self.audited == AUTO:
            return 1 if self.writes else None
        return self.audited


@dataclass(frozen=True)
class Endpoint(Access):
    """An API operation: ``path`` as the OpenAPI schema writes it ("/api/v1/orgs/{org_id}");
    its one path parameter is the object's id (none: the body names the object)."""

    method: str
    path: str

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def url(self, obj: Obj) -> str:
        import re

        return re.sub(r"\{\w+\}", str(obj.pk), self.path)


@dataclass(frozen=True)
class Page(Access):
    """A page by URL name ("orgs:detail"); ``args`` (default: the object's id) reverse it."""

    method: str
    name: str
    args: Callable[[Obj], list] | None = None

    @property
    def id(self) -> str:
        return f"{self.method.upper()} page {self.name}"

    def url(self, obj: Obj) -> str:
        from django.urls import reverse

        return reverse(self.name, args=self.args(obj) if self.args else [obj.pk])


@dataclass(frozen=True)
class Spec:
    """A module's declaration (``SPEC`` in ``dangjian/<app>/tests/access.py``)."""

    module: str
    kinds: list[Kind]
    endpoints: list[Access]
    exempt: dict[str, str] = field(default_factory=dict)  # op id / page URL name → why
    state: Callable[[], Any] | None = None  # more a refused request must leave as it was
    roles: dict[Any, set[str]] = field(default_factory=dict)  # Perm → the roles carrying it

    def kind(self, name: str) -> Kind:
        return next(k for k in self.kinds if k.name == name)


class Context:
    """One test's view of the world: the cast, the objects made so far, the acting user."""

    def __init__(self, cast, spec: Spec):
        self.cast = cast
        self.spec = spec
        self.user = ""  # the user key of the request being made
        self._made: dict[str, list[Obj]] = {}
        self.sealed = False

    def objects(self, kind: str) -> list[Obj]:
        if kind not in self._made:
            # Made inside a request's savepoint, they would vanish with its rollback.
            assert not self.sealed, f"make {kind!r} before the requests start"
            self._made[kind] = self.spec.kind(kind).make(self)
        return self._made[kind]

    def obj(self, kind: str, key: str) -> Obj:
        return next(o for o in self.objects(kind) if o.key == key)


# --- The oracle


@cache
def granted(user_key: str, perm) -> frozenset[str]:
    return frozenset(granted_orgs(user_key, perm))


def role_of(user_key: str):
    return USERS[user_key][0] if user_key in USERS else None


def holds(user_key: str, perm, obj: Obj) -> bool:
    """Whether the user holds ``perm`` over the object's organisation (the superuser holds
    every permission over everything, objects of no organisation included)."""
    if perm is None or perm == NOBODY:
        return False
    if user_key == "root":
        return True
    return obj.org is not None and obj.org in granted(user_key, perm)


def sees(user_key: str, obj: Obj, view, also: Rule | None) -> bool:
    if view == EVERYONE or holds(user_key, view, obj):
        return True
    return bool(also and also(user_key, obj))


def expected(access: Access, kind: Kind, user_key: str, obj: Obj) -> int:
    if access.expect is not None:
        status = access.expect(user_key, obj)
        if status is not None:
            return status
    view = kind.view if access.view_perm == KIND else access.view_perm
    also = access.also or kind.also
    if not sees(user_key, obj, view, also):
        return access.hidden
    if access.perm is not None and not (
        holds(user_key, access.perm, obj) or (access.may_also and access.may_also(user_key, obj))
    ):
        return access.refused
    return access.outcome(user_key, obj) if access.outcome else access.ok


def visible(kind: Kind, user_key: str, obj: Obj) -> bool:
    """Whether ``user_key`` sees ``obj`` by its kind's rule (the IDOR test's question)."""
    return sees(user_key, obj, kind.view, kind.also)
