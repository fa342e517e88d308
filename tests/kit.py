"""A fixed test cast over a small but complete tree (see tests and conftest.py).

    P 云南省委 (province)
    ├── C1 昆明市委 (city)
    │   ├── K1 五华区委 (county)
    │   │   └── T1 华山街道党委 (committee)
    │   │       ├── B1 第一党支部 ── G1 第一党小组
    │   │       └── B2 第二党支部
    │   └── K2 盘龙区委 (county) ── T2 党委 ── B3 党支部
    └── C2 曲靖市委 (city) ── K3 麒麟区委 ── B4 机关党支部 (directly under the county)

Every level has a user, and a sibling outside it, so each access test has its negative.
"""

import copy
import datetime as dt
import itertools
from types import SimpleNamespace

from dangjian.core import idcard
from dangjian.core.scope import Role

PASSWORD = "Test-Passw0rd!"
# Privileged users of the cast (2FA required) get a TOTP device with this key (hex).
TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret

TREE = [
    # key, parent key, name, type, code
    ("P", None, "云南省委", "province", "530000000000"),
    ("C1", "P", "昆明市委", "city", "530100000000"),
    ("K1", "C1", "五华区委", "county", "530102000000"),
    ("T1", "K1", "华山街道党委", "committee", "530102100000"),
    ("B1", "T1", "华山社区第一党支部", "branch", "530102100001"),
    ("G1", "B1", "第一党小组", "group", "530102100011"),
    ("B2", "T1", "华山社区第二党支部", "branch", "530102100002"),
    ("K2", "C1", "盘龙区委", "county", "530103000000"),
    ("T2", "K2", "拓东街道党委", "committee", "530103100000"),
    ("B3", "T2", "拓东社区党支部", "branch", "530103100001"),
    ("C2", "P", "曲靖市委", "city", "530300000000"),
    ("K3", "C2", "麒麟区委", "county", "530302000000"),
    ("B4", "K3", "区委机关党支部", "branch", "530302000001"),
]
BRANCHES = ["B1", "B2", "B3", "B4"]

# user key → (role, org key); member-linked users get a member record in a branch.
USERS = {
    "province_admin": (Role.ADMIN, "P"),
    "city_admin": (Role.ADMIN, "C1"),
    "county_admin": (Role.ADMIN, "K1"),
    "sibling_county_admin": (Role.ADMIN, "K2"),
    "committee_admin": (Role.ADMIN, "T1"),
    "branch_admin": (Role.ADMIN, "B1"),
    "county_leader": (Role.LEADER, "K1"),
    "member": (Role.MEMBER, "B1"),
    "agent": (Role.AGENT, "C1"),
    "handler": (Role.HANDLER, "K1"),
    "examiner": (Role.EXAMINER, "C2"),
}

_sequence = itertools.count(101)


def new_id_number(birth: dt.date = dt.date(1985, 3, 14), *, male: bool = True) -> str:
    """A fresh valid ID number (sequence parity chooses the sex).

    The 3-digit sequence repeats every thousand numbers, so the address code moves on
    (5301xx → 5302xx ...) to keep every number unique however many a test run makes.
    """
    n = next(_sequence)
    if (n % 2 == 1) != male:
        n = next(_sequence)
    region = f"53{1 + n // 1000:02d}{2 + (n // 1000) % 90:02d}"
    return idcard.build(region, birth, n % 1000)


def build_cast() -> SimpleNamespace:
    """Create the tree, two members per branch, and one user per entry of USERS."""
    from dangjian.accounts import services as accounts
    from dangjian.accounts.models import User
    from dangjian.members import services as members
    from dangjian.orgs import services as orgs

    root = User.objects.create_superuser("root", "root@example.cn", PASSWORD)
    org = {}
    for key, parent, name, org_type, code in TREE:
        fields = {
            "name": name,
            "org_type": org_type,
            "code": code,
            "founded_on": dt.date(1990, 1, 1),
        }
        if parent is None:
            org[key] = orgs.org_create_root(acting_user=root, **fields)
        else:
            org[key] = orgs.org_create(acting_user=root, parent=org[parent], **fields)
    member = {}
    for branch in BRANCHES:
        for i in (1, 2):
            member[f"{branch}m{i}"] = members.member_create(
                acting_user=root,
                branch=org[branch],
                name=f"{org[branch].name[:2]}党员{i}",
                id_number=new_id_number(dt.date(1970 + i * 10, 6, 1), male=i == 1),
                phone=f"1391234{len(member):04d}",
                ethnicity="汉族" if i == 1 else "彝族",
                education="bachelor" if i == 1 else "high_school",
                joined_on=dt.date(2000 + i * 10, 7, 1),
                full_member_on=dt.date(2001 + i * 10, 7, 1),
                status="full",
                group=org["G1"] if branch == "B1" and i == 1 else None,
            )
    users = {"root": root}
    for key, (role, org_key) in USERS.items():
        linked = member["B1m1"] if key == "member" else None
        user = accounts.user_create(
            acting_user=root,
            username=key,
            password=PASSWORD,
            member=linked,
            validate_password=False,
        )
        accounts.role_grant(acting_user=root, user=user, org=org[org_key], role=role)
        users[key] = user
    users["outsider"] = accounts.user_create(
        acting_user=root, username="outsider", password=PASSWORD, validate_password=False
    )
    for user in users.values():
        if is_privileged(user):
            give_totp_device(user)
    cast = SimpleNamespace(org=org, member=member, user=users)
    cast.rows = snapshot(cast)
    return cast


def is_privileged(user) -> bool:
    from dangjian.accounts.twofactor import is_privileged

    return is_privileged(user)


def give_totp_device(user, key: str = TOTP_KEY):
    """A confirmed TOTP device (the same known key for every test user)."""
    from django.apps import apps

    device_model = apps.get_model("accounts", "TwoFactorDevice")  # core names no domain app
    return device_model.objects.create(user=user, name="test", key=key, confirmed=True)


def totp_code(user) -> str:
    """The code the user's confirmed device shows now."""
    from dangjian.accounts.twofactor import confirmed_device, current_code

    return current_code(confirmed_device(user))


def login_verified(client, user):
    """``client.force_login(user)`` plus a passed second factor where the user needs one.

    What a real login reaches after the TOTP step; tests of the pages and the session
    API use it so they test the page, not the gate (tests/security tests the gate).
    """
    from django_otp import DEVICE_ID_SESSION_KEY

    from dangjian.accounts.twofactor import confirmed_device, requires_2fa

    client.force_login(user)
    if requires_2fa(user):
        device = confirmed_device(user) or give_totp_device(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def snapshot(cast: SimpleNamespace) -> dict:
    """The cast's rows as the database holds them now (read back: building the tree
    changed rows after their objects were made, e.g. a parent's ``numchild``)."""
    rows = {}
    for part in ("org", "member", "user"):
        rows[part] = {}
        for key, obj in getattr(cast, part).items():
            model = type(obj)
            fresh = model.objects.get(pk=obj.pk)
            names = tuple(field.attname for field in model._meta.concrete_fields)
            rows[part][key] = (model, names, tuple(getattr(fresh, name) for name in names))
    return rows


def reload(cast: SimpleNamespace) -> SimpleNamespace:
    """Fresh instances (tests must not share mutated Python objects between them) of the
    cast's rows as build_cast left them, made as a query would make them
    (``Model.from_db``) without one: each test starts from those rows (its transaction is
    rolled back after it; transactional tests rebuild the cast they flushed)."""
    return SimpleNamespace(
        **{
            part: {
                key: model.from_db("default", names, copy.deepcopy(values))
                for key, (model, names, values) in objects.items()
            }
            for part, objects in cast.rows.items()
        }
    )


# --- The access oracle: derived from TREE/USERS by walking parents, not from core.scope.

_PARENT = {key: parent for key, parent, *_ in TREE}
ORG_KEYS = [key for key, *_ in TREE]
USER_KEYS = ["root", *USERS, "outsider"]
CHANGE_ROLES = {Role.ADMIN}
NO_MEMBER_VIEW_ROLES = {Role.HANDLER}


def ancestors_or_self(key: str, parent: dict[str, str | None] | None = None) -> list[str]:
    """``key`` and everything above it in the tree described by ``parent`` (default TREE).

    Tests that move organisations pass the tree as it is after the moves.
    """
    parent = _PARENT if parent is None else parent
    chain = []
    while key is not None:
        chain.append(key)
        key = parent[key]
    return chain


def sees_org(user_key: str, org_key: str, parent: dict | None = None) -> bool:
    """Whether the user may see the organisation (上级看下级, never up or sideways)."""
    if user_key == "root":
        return True
    if user_key not in USERS:
        return False
    return USERS[user_key][1] in ancestors_or_self(org_key, parent)


def changes_org(user_key: str, org_key: str, parent: dict | None = None) -> bool:
    return user_key == "root" or (
        sees_org(user_key, org_key, parent) and USERS[user_key][0] in CHANGE_ROLES
    )


def sees_members_of(user_key: str, branch_key: str, parent: dict | None = None) -> bool:
    """Whether the user may see the members of a branch (handlers see organisations only)."""
    if user_key == "root":
        return True
    return sees_org(user_key, branch_key, parent) and USERS[user_key][0] not in NO_MEMBER_VIEW_ROLES


def sees_member(user_key: str, member_key: str) -> bool:
    """Members are keyed '<branch>m<i>'; the 'member' user is B1m1 and sees themself."""
    if user_key == "member" and member_key == "B1m1":
        return True
    return sees_members_of(user_key, member_key.split("m")[0])


def granted_orgs(user_key: str, perm, parent: dict | None = None) -> set[str]:
    """Organisation keys whose rows ``user_key`` may read under ``perm``: the subtree of
    the organisation their role is held at, if the role carries ``perm``."""
    from dangjian.core.scope import role_perms

    parent = _PARENT if parent is None else parent
    if user_key == "root":
        return set(parent)
    if user_key not in USERS:
        return set()
    role, at = USERS[user_key]
    if perm not in role_perms(role):
        return set()
    return {key for key in parent if at in ancestors_or_self(key, parent)}


WARNING_ROLES = {Role.ADMIN, Role.LEADER}


def sees_warnings(user_key: str, org_key: str) -> bool:
    """Warnings (预警) of an organisation: its leaders and admins and those above; members,
    12371 agents, handlers and examiners see none."""
    if user_key == "root":
        return True
    return sees_org(user_key, org_key) and USERS[user_key][0] in WARNING_ROLES
