"""The main menu, filled in by the apps: each declares its entries in ``<app>/menu.py``.

An entry is shown to a user who holds one of its permissions somewhere (``core.scope``:
the permissions each app registers), or, for entries a member uses for themself
(``member=True``: 组织生活, 党费, 组织关系转接), to any user linked to a member record;
我的档案 (``own_record``) to those linked to one. A superuser sees every other entry. So a
12371 agent is never offered 组织生活 or 合规情况, and a member never 发展党员.

The phone's bottom bar shows the first ``PRIMARY`` entries the user is shown (by
``order``) under their ``short`` label, and the rest under 更多; wider screens show every
entry in a row.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from dangjian.core import scope

PRIMARY = 4  # entries on the phone's bottom bar besides 更多 (five slots; four in 大字模式)


@dataclass(frozen=True)
class Entry:
    key: str
    label: str
    url_name: str
    order: int
    perms: tuple = ()  # shown to holders of any of these (anywhere in the tree)
    member: bool = False  # shown to any user linked to a member record
    everyone: bool = False  # shown to every signed-in user
    short: str = ""  # the bottom bar's label (defaults to ``label``)
    section: str = ""  # the URL namespace whose pages mark it current ("" for none)
    url_names: frozenset[str] | None = None  # only these views of the section
    exclude: frozenset[str] = frozenset()  # views of the section that are not it
    own_record: bool = False  # the URL takes the user's member id
    shown_if: Callable | None = None  # or shown when this says so of the user (a duty held
    # outside the roles, e.g. an office's 联络员)

    def shown_to(self, user) -> bool:
        if not getattr(user, "is_authenticated", False):
            return False
        if self.own_record:
            return bool(getattr(user, "member_id", None))
        if user.is_superuser or self.everyone or (self.member and getattr(user, "member_id", None)):
            return True
        if any(scope.scope_paths(user, perm) for perm in self.perms):
            return True
        return self.shown_if is not None and bool(self.shown_if(user))

    def url(self, user) -> str:
        if self.own_record:
            return reverse(self.url_name, args=[user.member_id])
        return _address(self.url_name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())

    def in_section(self, match) -> bool:
        if match is None or self.own_record or match.app_name != self.section:
            return False
        if self.url_names is not None and match.url_name not in self.url_names:
            return False
        return match.url_name not in self.exclude


@lru_cache(maxsize=256)
def _address(url_name: str, urlconf: str, prefix: str) -> str:
    """An entry's URL, the same on every page of a deployment: reversed once per URLconf
    and script prefix (the menu's fifteen ``reverse`` calls were ≈ 1 ms of a page's ≈ 10)."""
    return reverse(url_name, urlconf=urlconf)


_ENTRIES: dict[str, Entry] = {}


def register(*entries: Entry) -> None:
    for entry in entries:
        _ENTRIES[entry.key] = entry


def entries() -> list[Entry]:
    return sorted(_ENTRIES.values(), key=lambda e: (e.order, e.key))


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    short: str
    url: str
    current: bool


def shown(user) -> list[Entry]:
    """The entries ``user`` is shown, in order."""
    return [e for e in entries() if e.shown_to(user)]


def menu_for(request, *, elder: bool = False) -> tuple[list[Item], list[Item]]:
    """(the bottom bar's entries, the rest under 更多) for the request's user; the entry
    whose page this is (its own URL, else its section) is marked current. In 大字模式 the
    bar holds one entry fewer, so its labels never wrap."""
    user = request.user
    match = getattr(request, "resolver_match", None)
    pairs = [(entry, entry.url(user)) for entry in shown(user)]
    current = next((e for e, url in pairs if url == request.path), None)
    if current is None:
        current = next((e for e, _ in pairs if e.in_section(match)), None)
    items = [Item(e.key, e.label, e.short or e.label, url, e is current) for e, url in pairs]
    primary = PRIMARY - 1 if elder else PRIMARY
    if len(items) <= primary + 1:
        return items, []
    return items[:primary], items[primary:]


def _register_core() -> None:
    from dangjian.core.permissions import VIEW_WARNING

    register(
        Entry("home", "首页", "home", 10, everyone=True, url_names=frozenset({"home"})),
        Entry(
            "warnings",
            "预警",
            "warnings",
            100,
            perms=(VIEW_WARNING,),
            url_names=frozenset({"warnings", "warning_detail"}),
        ),
    )


_register_core()
