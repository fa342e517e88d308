"""Writing the demo province to the database, through the bulk services.

Each :class:`~dangjian.demo.generator.Unit` (the province's bodies, a prefecture, a
county) is written in one transaction: organisations, then members, then posts. A run
that stops half-way leaves whole units only, so ``--resume`` can carry on from there.
Accounts come last, through ``accounts.services.user_create`` and ``role_grant``.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils.module_loading import import_string

from dangjian.accounts import services as accounts
from dangjian.accounts.models import RoleAssignment, User
from dangjian.accounts.twofactor import base32_secret, demo_key, is_privileged
from dangjian.core import audit, rollups
from dangjian.core.scope import Role
from dangjian.demo import geography as geo
from dangjian.demo.generator import Scale, Unit, plan
from dangjian.members import services as members
from dangjian.members.choices import Status
from dangjian.members.models import Member
from dangjian.orgs import services as orgs
from dangjian.orgs import tree
from dangjian.orgs.choices import PositionTitle
from dangjian.orgs.models import Organisation, Position

# Each domain app seeds its own demo records through its services, after the tree,
# members and accounts exist: ``seed(root_user=..., seed=..., progress=...)``.
DOMAIN_SEEDERS: list[str] = [
    "dangjian.knowledge.demo.seed",
    "dangjian.desk.demo.seed",
    "dangjian.orglife.demo.seed",
    "dangjian.transfers.demo.seed",
    "dangjian.recruitment.demo.seed",
    "dangjian.mobility.demo.seed",
    "dangjian.dues.demo.seed",
]

DEMO_PASSWORD = "Dangjian@2026"  # every demo account's password (passes the policy)
ROOT_USERNAME = "root"
MEMBER_BATCH = 5000

MSG_NOT_EMPTY = (
    "数据库中已有 {n} 个党组织，不再重复生成演示数据。"
    "如需清空后重新生成，请加 --reset（将删除全部业务数据、账号和审计日志）；"
    "如需接着上次中断处继续，请用相同的 --scale 和 --seed 加 --resume。"
)
MSG_RESET_PRODUCTION = "--reset 会清空全部业务数据和审计日志，只能在开发/演示环境（DEBUG）中使用"

LEVELS = {  # account level → (label, anchor key)
    "province": ("省级", "province"),
    "city": ("市级", "city"),
    "county": ("县级", "county"),
    "committee": ("基层党委", "committee"),
    "branch": ("党支部", "branch"),
}
ROLE_LABELS = dict(RoleAssignment._meta.get_field("role").choices)
ROLES = (Role.LEADER, Role.ADMIN, Role.MEMBER, Role.AGENT, Role.HANDLER, Role.EXAMINER)
# Which member a role's account belongs to: the post holder, an ordinary member, or none
# (12371 agents, department handlers and examiners are staff accounts).
LINKED = {
    Role.LEADER: PositionTitle.SECRETARY,
    Role.ADMIN: PositionTitle.ORGANISATION,
    Role.MEMBER: "",
}


@dataclass
class Report:
    orgs: int = 0
    members: int = 0
    positions: int = 0
    units: int = 0
    skipped: int = 0
    seconds: float = 0.0
    accounts: list[dict] = field(default_factory=list)


def org_count() -> int:
    return Organisation.objects.count()


# --- Reset -----------------------------------------------------------------------------


def _tables_to_wipe() -> list[str]:
    """Every table of the project's apps, plus any table pointing into them (admin log...)."""
    models = {
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_config.name.startswith("dangjian.") and m._meta.managed
    }
    grew = True
    while grew:
        grew = False
        for model in apps.get_models(include_auto_created=True):
            if model in models or not model._meta.managed:
                continue
            if any(f.related_model in models for f in model._meta.concrete_fields if f.is_relation):
                models.add(model)
                grew = True
    if apps.is_installed("django.contrib.sessions"):  # logins of accounts about to vanish
        models.add(apps.get_model("sessions", "Session"))
    return sorted({m._meta.db_table for m in models if not m._meta.proxy})


@transaction.atomic
def wipe() -> dict[str, int]:
    """Delete all demo data — organisations, members, users, audit log — in one transaction.

    A bulk SQL flush of the project's tables (foreign keys are checked at the end, so
    the order does not matter), with id sequences reset so a reseed gets the same ids.
    The audit chains start afresh with one ``demo.reset`` entry (and a restart line in
    the checkpoint file). Development only.
    """
    if not settings.DEBUG:
        raise PermissionError(MSG_RESET_PRODUCTION)
    counts = {
        "orgs": Organisation.objects.count(),
        "members": Member.objects.count(),
        "users": User.objects.count(),
    }
    tables = _tables_to_wipe()
    if connection.vendor == "postgresql":
        # Fire foreign-key checks deferred earlier in this transaction: PostgreSQL
        # refuses to TRUNCATE a table with pending trigger events.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(no_style(), tables, reset_sequences=True)
    )
    connection.check_constraints()
    audit.record(actor=None, action="demo.reset", after=counts)
    # The checkpoints outside the database describe the log just wiped: once the wipe
    # has committed, say so in the checkpoint file, or `audit verify` reports the loss.
    transaction.on_commit(lambda: audit.restart(reason="seed_demo --reset"))
    return counts


# --- Writing units ---------------------------------------------------------------------


def _batched(items: list, size: int) -> Iterable[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class Writer:
    def __init__(self, root_user: User):
        self.user = root_user
        self.known: dict[str, Organisation] = {}  # province and prefecture heads

    def _existing(self, code: str) -> Organisation:
        if code not in self.known:
            self.known[code] = Organisation.objects.get(code=code)
        return self.known[code]

    @transaction.atomic
    def write(self, unit: Unit) -> tuple[int, int, int]:
        created: dict[str, Organisation] = {}
        rows_to_bulk = unit.orgs
        head = unit.orgs[0]
        if head.parent_code is None:
            root = orgs.org_create_root(
                acting_user=self.user,
                name=head.name,
                org_type=head.org_type,
                code=head.code,
                founded_on=head.founded_on,
            )
            created[head.code] = root
            rows_to_bulk = unit.orgs[1:]
        index: dict[str, int] = {}
        rows = []
        for i, row in enumerate(rows_to_bulk):
            if row.parent_code in index:
                parent = index[row.parent_code]
            else:
                parent = created.get(row.parent_code) or self._existing(row.parent_code)
            index[row.code] = i
            rows.append(
                {
                    "parent": parent,
                    "name": row.name,
                    "org_type": row.org_type,
                    "code": row.code,
                    "founded_on": row.founded_on,
                    "dissolved_on": row.dissolved_on,
                    "dissolve_reason": row.dissolve_reason,
                }
            )
        for row, org in zip(
            rows_to_bulk, orgs.org_bulk_create(acting_user=self.user, rows=rows), strict=True
        ):
            created[row.code] = org
        if unit.level in ("province", "city"):
            self.known[head.code] = created[head.code]

        unit.populate()
        by_id_number: dict[str, Member] = {}
        for chunk in _batched(unit.members, MEMBER_BATCH):
            saved = members.member_bulk_create(
                acting_user=self.user,
                rows=[
                    {
                        "branch": created[m.branch_code],
                        "group": created[m.group_code] if m.group_code else None,
                        "name": m.name,
                        "gender": m.gender,
                        "birth_date": m.birth_date,
                        "id_number": m.id_number,
                        "phone": m.phone,
                        "ethnicity": m.ethnicity,
                        "education": m.education,
                        "occupation": m.occupation,
                        "joined_on": m.joined_on,
                        "full_member_on": m.full_member_on,
                        "status": m.status,
                    }
                    for m in chunk
                ],
            )
            by_id_number.update((m.id_number, obj) for m, obj in zip(chunk, saved, strict=True))
        for chunk in _batched(unit.positions, MEMBER_BATCH):
            orgs.position_bulk_create(
                acting_user=self.user,
                rows=[
                    {
                        "org": created[p.org_code],
                        "member": by_id_number[p.id_number],
                        "title": p.title,
                        "started_on": p.started_on,
                    }
                    for p in chunk
                ],
            )
        counts = (len(unit.orgs), len(unit.members), len(unit.positions))
        unit.members, unit.positions = [], []  # bounded memory on long runs
        return counts


# --- Accounts --------------------------------------------------------------------------


def _org_path_names(org: Organisation) -> str:
    return " / ".join(each.name for each in tree.ancestors(org, include_self=True))


def _pick_member(org: Organisation, title: str, used: set[int]) -> Member | None:
    """The holder of ``title`` in ``org`` or else an ordinary full member of its subtree."""
    if title:
        holders = Position.objects.filter(org=org, title=title, ended_on__isnull=True)
        holder = holders.exclude(member_id__in=used).order_by("pk").first()
        if holder is not None:
            return holder.member
    candidates = Member.objects.filter(
        branch__path__startswith=org.path, status=Status.FULL, user__isnull=True
    ).exclude(pk__in=used)
    return (
        candidates.filter(positions__isnull=True).order_by("branch__path", "pk").first()
        or candidates.order_by("branch__path", "pk").first()
    )


def account_specs(anchors: dict[str, str]) -> list[tuple[str, Role, str, str]]:
    """(username, role, level, org code): each role at each level, plus sibling admins."""
    slugs = {"city": "", "county": ""}
    for pref in geo.PREFECTURES:
        if f"{pref.code}00000000" == anchors.get("city"):
            slugs["city"] = f"_{pref.pinyin}"
        for county in pref.counties:
            if f"{county.code}000000" == anchors.get("county"):
                slugs["county"] = f"_{county.pinyin}"
    specs = []
    for level, (_label, key) in LEVELS.items():
        for role in ROLES:
            specs.append((f"{role}_{level}{slugs.get(level, '')}", role, level, anchors[key]))
    for key, level in (("city_sibling", "city"), ("county_sibling", "county")):
        if key in anchors:
            code = anchors[key]
            slug = next(
                p.pinyin if level == "city" else c.pinyin
                for p in geo.PREFECTURES
                for c in p.counties
                if code in (f"{p.code}00000000", f"{c.code}000000")
            )
            specs.append((f"admin_{level}_{slug}", Role.ADMIN, level, code))
    return specs


def _totp_secret(root_user: User, user: User, seed: int) -> str | None:
    """Accounts that must use two factors get a confirmed device with a key derived from
    the seed and the username, so the demo's codes can be computed (``totp_code``)."""
    if not is_privileged(user):
        return None
    device = accounts.otp_device_provision(
        acting_user=root_user, user=user, key=demo_key(seed, user.username)
    )
    return base32_secret(device).replace(" ", "")


def create_accounts(root_user: User, anchors: dict[str, str], seed: int = 2026) -> list[dict]:
    """The demo logins (idempotent: existing usernames are kept) and their description."""
    root_org = Organisation.objects.get(code=anchors["province"])
    result = [
        _describe(root_user, "superuser", "系统管理员", "province", root_org)
        | {"totp_secret": _totp_secret(root_user, root_user, seed)}
    ]
    used = set(User.objects.filter(member__isnull=False).values_list("member_id", flat=True))
    for username, role, level, code in account_specs(anchors):
        org = Organisation.objects.get(code=code)
        user = User.objects.filter(username=username).first()
        if user is None:
            member = _pick_member(org, LINKED[role], used) if role in LINKED else None
            if member is not None:
                used.add(member.pk)
            user = accounts.user_create(
                acting_user=root_user,
                username=username,
                password=DEMO_PASSWORD,
                display_name=member.name if member else f"{ROLE_LABELS[role]}（{org.name}）",
                member=member,
            )
            accounts.role_grant(acting_user=root_user, user=user, org=org, role=role)
        account = _describe(user, str(role), ROLE_LABELS[role], level, org)
        account["totp_secret"] = _totp_secret(root_user, user, seed)
        result.append(account)
    return result


def _describe(user: User, role: str, role_label: str, level: str, org: Organisation) -> dict:
    return {
        "username": user.username,
        "password": DEMO_PASSWORD,
        "role": role,
        "role_label": role_label,
        "level": level,
        "level_label": LEVELS[level][0],
        "org_id": org.pk,
        "org_name": org.name,
        "org_path": _org_path_names(org),
        "display_name": user.display_name,
        "member_id": user.member_id,
    }


# --- The whole run ---------------------------------------------------------------------


def seed(
    *,
    scale: Scale,
    seed: int,
    resume: bool = False,
    progress: Callable[[str], None] = lambda line: None,
) -> Report:
    """Generate and write the demo province; accounts last. Returns counts and accounts."""
    started = time.monotonic()
    report = Report()
    root_user = User.objects.filter(username=ROOT_USERNAME, is_superuser=True).first()
    if root_user is None:
        root_user = accounts.superuser_create(username=ROOT_USERNAME, password=DEMO_PASSWORD)
    units = list(plan(scale, seed))
    planned_members = sum(r.size for u in units for r in u.orgs)
    planned_orgs = sum(len(u.orgs) for u in units)
    progress(
        f"计划生成：{len(units)} 个单元，{planned_orgs:,} 个党组织，{planned_members:,} 名党员"
    )
    writer = Writer(root_user)
    anchors: dict[str, str] = {}
    done_members = 0
    verbose = scale.name != "small"
    for number, unit in enumerate(units, 1):
        anchors.update(unit.anchors)
        unit_members = sum(r.size for r in unit.orgs)
        if resume and Organisation.objects.filter(code=unit.code).exists():
            report.skipped += 1
            done_members += unit_members
            continue
        n_orgs, n_members, n_positions = writer.write(unit)
        units[number - 1] = None  # let the unit go
        report.orgs += n_orgs
        report.members += n_members
        report.positions += n_positions
        report.units += 1
        done_members += unit_members
        if verbose or unit.level != "county" or number == len(units):
            elapsed = time.monotonic() - started
            share = done_members / planned_members if planned_members else 1
            rate = report.members / elapsed if report.members else 0  # this run's pace
            eta = (planned_members - done_members) / rate if rate else 0
            progress(
                f"[{number:>4}/{len(units)}] {unit.label}：{n_orgs:,} 个组织，"
                f"{n_members:,} 名党员 — 累计 {share:.0%}，用时 {elapsed:.1f} 秒，"
                f"预计还需 {eta:.0f} 秒"
            )
    progress("创建演示账号……")
    report.accounts = create_accounts(root_user, anchors, seed)
    for dotted in DOMAIN_SEEDERS:
        import_string(dotted)(root_user=root_user, seed=seed, progress=progress)
    # The subtree figures (members, meetings held, dues) the leaders' pages read: counted
    # once now, as a deployment does after loading data (`dangjian rollups_rebuild`).
    rollups.rebuild(progress=progress if verbose else None)
    progress("汇总统计已生成")
    report.seconds = time.monotonic() - started
    return report
