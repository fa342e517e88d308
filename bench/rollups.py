"""Rollups at province scale (PostgreSQL): the root's breakdown from summary rows against
counting the subtree, in the same run.

    DATABASE_URL=postgres://…/dj_province DANGJIAN_VAR_DIR=/tmp/bench-var \\
        python bench/rollups.py [--rebuild] [--runs 200] [--baseline-runs 5]

Generates the province with ``bench/province.py`` if the database is empty, rebuilds the
rollups if there are none (or ``--rebuild``), then measures in-process medians of the
province's education breakdown (current members) three ways — the rollup rows as a
province admin reads them (``core.rollups.breakdown``, scope included), a recursive CTE
walking the tree from the root (parent = path minus its last step) joined to the
members, and the members joined to the organisations by ``path LIKE 'root%'`` — checks
that all three agree, and prints the ratios. Then the upkeep: a refresh after real
writes through the services (and marks on 200 branches), and a county moved to another
city (both cities' totals checked against a direct count), moved back afterwards.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import province

CURRENT = ("full", "probationary", "mobile", "lost_contact")

CTE_SQL = """
WITH RECURSIVE sub(id, path) AS (
    SELECT id, path FROM orgs_organisation WHERE id = %(root)s
    UNION ALL
    SELECT c.id, c.path FROM orgs_organisation c
    JOIN sub ON substr(c.path, 1, length(c.path) - 4) = sub.path
)
SELECT m.education, count(*) FROM members_member m JOIN sub ON m.branch_id = sub.id
WHERE m.status = ANY(%(current)s) GROUP BY m.education
"""
LIKE_SQL = """
SELECT m.education, count(*) FROM members_member m
JOIN orgs_organisation o ON o.id = m.branch_id
WHERE o.path LIKE %(prefix)s AND m.status = ANY(%(current)s) GROUP BY m.education
"""


def timed(fn, runs: int) -> tuple[float, object]:
    """Median milliseconds of ``runs`` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def sql_counts(sql: str, **params) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, {"current": list(CURRENT), **params})
        return dict(cur.fetchall())


def bench_admin(root_org):
    """A province admin (the read is measured with the scope check a request makes)."""
    from dangjian.accounts import services as accounts
    from dangjian.accounts.models import User
    from dangjian.core.scope import Role

    superuser = User.objects.filter(username="bench_root").first() or (
        User.objects.create_superuser("bench_root", "bench@example.cn", "Bench-Passw0rd!")
    )
    admin = User.objects.filter(username="bench_province_admin").first()
    if admin is None:
        admin = accounts.user_create(
            acting_user=superuser,
            username="bench_province_admin",
            password="Bench-Passw0rd!",
            validate_password=False,
        )
        accounts.role_grant(acting_user=superuser, user=admin, org=root_org, role=Role.ADMIN)
    return superuser, admin


def upkeep(superuser, say) -> list[tuple[str, float, str]]:
    """Writes through the services, then the refresh job; a county moved and back."""
    import datetime as dt

    from dangjian.core import rollups
    from dangjian.members import services as members
    from dangjian.orgs import services as orgs
    from dangjian.orgs.models import Organisation
    from tests.kit import new_id_number

    rows = []
    rng = random.Random(2026)
    births = random.Random()  # new ID numbers on every run (they must be unique)
    branches = list(Organisation.objects.filter(org_type="branch").values_list("pk", flat=True))
    picked = rng.sample(branches, 200)
    root = Organisation.objects.get(depth=1)
    before = rollups.total(superuser, root, "members.education")
    started = time.perf_counter()
    for pk in picked[:20]:
        members.member_create(
            acting_user=superuser,
            branch=Organisation.objects.get(pk=pk),
            name="基准新党员",
            id_number=new_id_number(dt.date(1960, 1, 1) + dt.timedelta(births.randint(0, 9000))),
            ethnicity="汉族",
            education="postgraduate",
            joined_on=dt.date(2020, 7, 1),
            full_member_on=dt.date(2021, 7, 1),
            status="full",
        )
    writes = (time.perf_counter() - started) * 1000 / 20
    rollups.mark_dirty(*picked)
    started = time.perf_counter()
    settled = rollups.refresh()
    refresh_ms = (time.perf_counter() - started) * 1000
    after = rollups.total(superuser, root, "members.education")
    direct = sum(sql_counts(LIKE_SQL, prefix=root.path + "%").values())
    check = "ok" if after == before + 20 == direct else f"MISMATCH {before}+20 vs {after}/{direct}"
    rows.append(("member_create (service, mean of 20)", writes, ""))
    rows.append((f"refresh: {settled} marked branches (20 written)", refresh_ms, check))

    cities = list(Organisation.objects.filter(depth=2).order_by("path")[:2])
    county = Organisation.objects.filter(path__startswith=cities[0].path, depth=3).first()
    started = time.perf_counter()
    orgs.org_move(acting_user=superuser, org=county, new_parent=cities[1])
    move_ms = (time.perf_counter() - started) * 1000
    verdicts = []
    for city in cities:
        city = Organisation.objects.get(pk=city.pk)
        stored = rollups.breakdown(superuser, city, "members.education")
        verdicts.append(stored == sql_counts(LIKE_SQL, prefix=city.path + "%"))
    county = Organisation.objects.get(pk=county.pk)
    orgs.org_move(acting_user=superuser, org=county, new_parent=cities[0])
    rows.append(
        ("org_move of a county to another city", move_ms, "ok" if all(verdicts) else "MISMATCH")
    )
    say("upkeep measured (the county is back in its city)")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="rebuild the rollups first")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--baseline-runs", type=int, default=5)
    parser.add_argument("--skip-upkeep", action="store_true")
    args = parser.parse_args()
    province.setup_django()

    from dangjian.accounts.models import User
    from dangjian.core import rollups
    from dangjian.core.models import Rollup
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organisation

    say = print
    if not Organisation.objects.exists():
        province.generate(say=say)
    root = Organisation.objects.get(depth=1)
    superuser, admin = bench_admin(root)
    say(f"tree: {Organisation.objects.count():,} organisations, {Member.objects.count():,} members")
    if args.rebuild or not Rollup.objects.exists():
        started = time.monotonic()
        rollups.rebuild(restart=True, progress=lambda line: None)
        say(
            f"rollups_rebuild: {Rollup.objects.count():,} rows in "
            f"{time.monotonic() - started:.0f} s"
        )

    def read():
        user = User.objects.get(pk=admin.pk)  # a fresh request: the scope is looked up
        return rollups.breakdown(user, root, "members.education")

    read()  # warm the connection
    rollup_ms, by_rollup = timed(read, args.runs)
    cte_ms, by_cte = timed(lambda: sql_counts(CTE_SQL, root=root.pk), args.baseline_runs)
    like_ms, by_like = timed(
        lambda: sql_counts(LIKE_SQL, prefix=root.path + "%"), args.baseline_runs
    )
    agree = by_rollup == by_cte == by_like
    say(f"root education breakdown: {by_rollup} (all three agree: {agree})")
    say("")
    say("| measure | median ms | ratio to recursive CTE | ratio to LIKE join |")
    say("|---|---:|---:|---:|")
    for name, ms in (
        ("rollup rows (breakdown, as province admin)", rollup_ms),
        ("recursive CTE over the tree + members", cte_ms),
        ("members ⋈ organisations, path LIKE 'root%'", like_ms),
    ):
        say(f"| {name} | {ms:.2f} | {cte_ms / ms:.1f}× | {like_ms / ms:.1f}× |")
    if not agree:
        raise SystemExit("the rollup disagrees with the direct counts")
    if not args.skip_upkeep:
        say("")
        say("| upkeep | ms | check |")
        say("|---|---:|---|")
        for name, ms, check in upkeep(superuser, say):
            say(f"| {name} | {ms:.1f} | {check} |")


if __name__ == "__main__":
    main()
