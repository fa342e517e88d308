"""`dangjian seed_demo --scale small`, run once for the module on a wiped test database.

The module fixture resets the shared test cast away inside a transaction, seeds, and
rolls everything back at the end, so other test modules find the cast untouched.
"""

import datetime as dt
import json
from collections import Counter
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core import audit, idcard
from dangjian.core.models import AuditEntry
from dangjian.core.phone import normalize_phone
from dangjian.demo import clock, seeding
from dangjian.demo.generator import REFERENCE_DATE, SCALES, plan
from dangjian.demo.tests import fingerprints
from dangjian.members import rules
from dangjian.members.models import Member
from dangjian.members.selectors import member_queryset
from dangjian.orgs.choices import OrgType, PositionTitle
from dangjian.orgs.models import Organisation, Position
from dangjian.orgs.selectors import org_queryset

pytestmark = pytest.mark.django_db(transaction=False)

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only
# The run's anchor: a day already past (so the data do not depend on when the suite runs),
# not the default REFERENCE_DATE (so the anchoring is what is tested), and a holiday (国庆).
AS_OF = dt.date(2026, 10, 1)
LEVEL_TYPES = {
    "province": {OrgType.PROVINCIAL_COMMITTEE},
    "city": {OrgType.CITY_COMMITTEE},
    "county": {OrgType.COUNTY_COMMITTEE},
    "committee": {OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE},
    "branch": {OrgType.BRANCH},
}


# Two of the apps' demo samples, smaller here: this module seeds twice (the fixture, the
# reseed), and a year of dues bills and payments for every sampled member (each through
# the services and the ledger) was over half of each seed's CPU, the attendance marks of
# a year of meetings a sixth. Six members per branch keep one six months behind in each
# (the sixth), so the arrears warnings are still raised; every meeting is still held,
# recorded and audited, with two attendees marked instead of six.
SMALLER_SAMPLES = {
    "dangjian.dues.demo": ("MEMBERS_PER_BRANCH", 6),
    "dangjian.orglife.demo": ("MARKED_PER_MEETING", 2),
}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    out = tmp_path_factory.mktemp("seed") / "accounts.json"
    with (
        pytest.MonkeyPatch.context() as patch,
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        for module, (name, value) in SMALLER_SAMPLES.items():
            patch.setattr(f"{module}.{name}", value)
        stdout = StringIO()
        call_command(
            "seed_demo", "--reset", "--as-of", str(AS_OF), "--accounts-out", str(out), stdout=stdout
        )
        yield SimpleNamespace(
            output=stdout.getvalue(),
            accounts=json.loads(out.read_text()),
            fingerprint=fingerprints.of_database(),
            org_ids=dict(Organisation.objects.values_list("code", "pk")),
        )
        transaction.set_rollback(True)


def _counts():
    return (Organisation.objects.count(), Member.objects.count(), User.objects.count())


def test_small_scale_sizes(seeded):
    assert 250 <= Organisation.objects.count() <= 380
    assert 4000 <= Member.objects.count() <= 6000
    assert User.objects.get(username="root").is_superuser
    dissolved = Organisation.objects.get(dissolved_on__isnull=False)
    assert not dissolved.members.exists() and dissolved.dissolve_reason
    assert "完成：" in seeded.output and "admin_province" in seeded.output


def test_tree_and_audit_chain_are_intact(seeded):
    assert Organisation.objects.find_problems() == ([], [], [], [], [])
    assert audit.verify() is None
    assert AuditEntry.objects.order_by("id").first().action == "demo.reset"
    actions = Counter(AuditEntry.objects.values_list("action", flat=True))
    assert actions["org.bulk_create"] and actions["member.bulk_create"]


def test_every_member_passes_the_rules_and_sits_in_an_active_branch(seeded):
    for m in Member.objects.select_related("branch", "group").iterator(chunk_size=2000):
        parsed = idcard.parse(m.id_number, today=AS_OF)
        assert not rules.record_errors(
            id_number=parsed,
            birth_date=m.birth_date,
            gender=m.gender,
            joined_on=m.joined_on,
            full_member_on=m.full_member_on,
            status=m.status,
            today=AS_OF,
            transferred_out_on=m.transferred_out_on,
        )
        assert not m.phone or normalize_phone(m.phone) == m.phone
        assert m.branch.org_type == OrgType.BRANCH and m.branch.is_active
        assert m.group is None or m.group.path.startswith(m.branch.path)


def test_every_active_branch_and_committee_has_one_secretary_from_its_subtree(seeded):
    secretaries = Position.objects.filter(title=PositionTitle.SECRETARY).select_related(
        "org", "member__branch"
    )
    by_org = Counter(p.org_id for p in secretaries)
    assert all(p.member.branch.path.startswith(p.org.path) for p in secretaries)
    active = Organisation.objects.filter(dissolved_on__isnull=True).exclude(org_type=OrgType.GROUP)
    assert all(by_org[pk] == 1 for pk in active.values_list("pk", flat=True))


def test_the_database_holds_exactly_the_plan(seeded):
    with clock.anchored(AS_OF):
        assert seeded.fingerprint == fingerprints.of_plan(plan(SCALES["small"], 2026))
    assert seeded.fingerprint != fingerprints.of_plan(plan(SCALES["small"], 2026))


def test_reseeding_with_the_same_seed_gives_identical_data(seeded):
    with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS), clock.anchored(AS_OF):
        seeding.wipe()
        report = seeding.seed(scale=SCALES["small"], seed=2026)
    assert fingerprints.of_database() == seeded.fingerprint
    assert dict(Organisation.objects.values_list("code", "pk")) == seeded.org_ids
    assert report.accounts == seeded.accounts


def test_accounts_cover_every_role_at_every_level(seeded):
    pairs = {(a["role"], a["level"]) for a in seeded.accounts}
    roles = ("leader", "admin", "member", "agent", "handler", "examiner")
    assert {(r, lv) for r in roles for lv in LEVEL_TYPES} <= pairs
    assert len({a["username"] for a in seeded.accounts}) == len(seeded.accounts) <= 45
    for account in seeded.accounts:
        org = Organisation.objects.get(pk=account["org_id"])
        assert org.org_type in LEVEL_TYPES[account["level"]]
        assert account["org_path"].split(" / ")[-1] == account["org_name"] == org.name
        assert set(account) >= {"username", "password", "role", "role_label", "org_path"}


def test_each_account_logs_in_and_sees_exactly_its_subtree(seeded):
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        for account in seeded.accounts:
            user = authenticate(username=account["username"], password=account["password"])
            assert user is not None, account["username"]
            org = Organisation.objects.get(pk=account["org_id"])
            subtree = Organisation.objects.filter(path__startswith=org.path)
            assert set(org_queryset(user)) == set(subtree), account["username"]
            members = set(member_queryset(user).values_list("pk", flat=True))
            if account["role"] == "handler":
                assert members == set()
            else:
                in_subtree = Member.objects.filter(branch__path__startswith=org.path)
                assert members == set(in_subtree.values_list("pk", flat=True))


def test_every_account_that_may_see_warnings_sees_open_ones_and_figures_are_counted(seeded):
    """The demo raises its warnings through the apps' rules (the 20th-of-month job for
    the demo year's last month among them), so no warnings page is empty."""
    from dangjian.core import warnings

    assert warnings.Warning.objects.filter(kind="orglife.theme_day_missing").exists()
    # …and counts the subtree figures the leaders' home pages read from the rollups.
    from dangjian.core.models import Rollup

    assert Rollup.objects.filter(metric="orglife.meetings_held", org__depth=1).exists()
    for account in seeded.accounts:
        user = User.objects.get(username=account["username"])
        if warnings.sees_any(user):
            open_ = warnings.warning_queryset(user).filter(resolved_at__isnull=True)
            assert open_.exists(), account["username"]


def test_member_accounts_belong_to_members_of_their_subtree(seeded):
    linked = [a for a in seeded.accounts if a["member_id"]]
    assert {a["role"] for a in linked} == {"leader", "admin", "member"}
    for account in linked:
        member = User.objects.get(username=account["username"]).member
        org = Organisation.objects.get(pk=account["org_id"])
        assert member.branch.path.startswith(org.path)
    leader = User.objects.get(username="leader_branch")
    assert Position.objects.filter(
        member=leader.member, org_id=leader.role_assignments.get().org_id, title="secretary"
    ).exists()


def test_refuses_to_seed_a_database_that_has_organisations(seeded):
    before = _counts()
    with pytest.raises(CommandError, match=r"不再重复生成演示数据.*--reset"):
        call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "跳过" in out.getvalue()
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", "--reset", stdout=StringIO())
    assert _counts() == before


def test_resume_skips_what_is_already_there(seeded):
    before = _counts()
    out = StringIO()
    call_command("seed_demo", "--resume", "--as-of", str(AS_OF), stdout=out)
    assert "跳过已有单元 50 个" in out.getvalue()
    assert _counts() == before


def test_dry_run_only_counts(seeded):
    before = _counts()
    out = StringIO()
    call_command("seed_demo", "--scale", "county", "--dry-run", stdout=out)
    assert "不写数据库" in out.getvalue() and "党小组" in out.getvalue()
    assert _counts() == before


def test_privileged_demo_accounts_have_a_known_totp_device(seeded):
    import base64

    from django_otp.oath import totp

    from dangjian.accounts.twofactor import confirmed_device, current_code, demo_key

    for account in seeded.accounts:
        user = User.objects.get(username=account["username"])
        device = confirmed_device(user)
        if account["role"] in {"superuser", "admin", "leader", "agent"}:
            assert device is not None and device.key == demo_key(2026, user.username)
            key = base64.b32decode(
                account["totp_secret"] + "=" * (-len(account["totp_secret"]) % 8)
            )
            assert f"{totp(key):06d}" == current_code(device)  # what an authenticator shows
        else:
            assert device is None and account["totp_secret"] is None, account["username"]
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("totp_code", "admin_province", stdout=out)
    device = confirmed_device(User.objects.get(username="admin_province"))
    assert out.getvalue().strip() == current_code(device)
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG"):
        call_command("totp_code", "admin_province", stdout=StringIO())


def test_the_activity_ends_at_the_runs_anchor(seeded):
    """Meetings, the 12371 desk's traffic and the applicants' steps are drawn up to the
    anchor (--as-of), not to a fixed date: the last month held is the one before it, the
    next 主题党日 is two weeks after it, and no order or application is later."""
    from dangjian.core.calendar import TZ
    from dangjian.desk.demo import DEMO_DAYS
    from dangjian.desk.models import WorkOrder
    from dangjian.orglife.models import Meeting
    from dangjian.recruitment.models import Applicant

    with clock.anchored(AS_OF):
        start = clock.now()  # the desk's traffic ends at the start of the anchor day
    held = Meeting.objects.filter(starts_at__lt=start).latest("starts_at")
    assert (held.starts_at.year, held.starts_at.month) == (2026, 9)
    upcoming = Meeting.objects.filter(starts_at__gte=start)
    assert {m.starts_at.astimezone(TZ).date() for m in upcoming} == {AS_OF + dt.timedelta(14)}
    assert WorkOrder.objects.latest("created_at").created_at <= start
    assert WorkOrder.objects.earliest("created_at").created_at >= start - dt.timedelta(
        DEMO_DAYS + 1
    )
    assert Applicant.objects.latest("applied_on").applied_on < AS_OF


def test_a_run_is_anchored_at_the_first_of_this_month_unless_told(monkeypatch):
    class Seeded(Exception):
        pass

    def seed(**_):
        raise Seeded(clock.today())

    monkeypatch.setattr(seeding, "org_count", lambda: 0)
    monkeypatch.setattr(seeding, "seed", seed)
    with pytest.raises(Seeded) as caught:
        call_command("seed_demo", stdout=StringIO())
    assert caught.value.args[0] == timezone.localdate().replace(day=1)
    with pytest.raises(Seeded) as caught:
        call_command("seed_demo", "--as-of", "2025-06-30", stdout=StringIO())
    assert caught.value.args[0] == dt.date(2025, 6, 30)
    assert clock.today() == REFERENCE_DATE  # restored after the run
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    for bad in ("2025-02-30", "昨天", str(tomorrow)):
        with pytest.raises(CommandError, match="--as-of 须为不晚于今天"):
            call_command("seed_demo", "--as-of", bad, stdout=StringIO())
