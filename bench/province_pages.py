"""Pages and API at province scale, in-process: each request beside its baseline.

    DATABASE_URL=postgres://…/dj_province DANGJIAN_VAR_DIR=/tmp/bench-var \\
        python bench/province_pages.py [--runs 5] [--only county] [--explain]

On the database of ``bench/province.py`` (run ``bench/rollups.py`` first, or this
generates it), with the production-like ``bench/bench_settings.py``: a county admin
(≈1,150 organisations, ≈20k members) and the province admin (everything) fetch the
member list (API and page), their top organisation's detail and children (API and
page), the home page, compliance (API and page), the meeting list (API and page) and
the warning list (API and page). Each request goes through Django's test client (the
whole middleware stack, no network).

Every request is measured twice in the same run, alternating: as the code stands, and
with the optimisations of issue 9 part 6 switched off (:func:`baseline`): subtree
member counts (the member list's total, the home page's figures, the organisations'
member counts) counted directly instead of read from the rollups in their exact form,
compliance evaluated from every branch's meetings instead of read from its rollup rows,
list totals counted exactly instead of capped at 10,000, and PostgreSQL's default JIT
and parallel workers. (The meeting list's index is schema: its effect shows against an
earlier run's figures, not here.) A deep page of the meeting list is fetched by offset
and by cursor at the same position. The table gives both medians and the ratio. ``--explain`` prints ``EXPLAIN ANALYZE`` of the slowest query of the slowest
request. Reads only, apart from the bench users and their tokens.
"""

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")
import province


def bench_user(username: str, org, superuser):
    from dangjian.accounts import services as accounts
    from dangjian.accounts.models import User
    from dangjian.core.scope import Role

    user = User.objects.filter(username=username).first()
    if user is None:
        user = accounts.user_create(
            acting_user=superuser,
            username=username,
            password="Bench-Passw0rd!",
            validate_password=False,
        )
        accounts.role_grant(acting_user=superuser, user=user, org=org, role=Role.ADMIN)
    return user


def measure(client, url: str, headers: dict, runs: int) -> tuple[float, int, int]:
    """Median ms over ``runs`` (after one warm-up), status, queries of the last request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, **headers)
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url, **headers)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), response.status_code, len(queries.captured_queries)


def slowest_queries(client, url: str, headers: dict) -> list[tuple[float, str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url, **headers)
    return sorted(((float(q["time"]) * 1000, q["sql"]) for q in queries), reverse=True)


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cur.fetchall())


@contextlib.contextmanager
def baseline():
    """The code as it was before issue 9 part 6: direct counts, and the server's
    defaults for JIT and parallel workers."""
    from django.db import connection

    from dangjian.core import pages, rollups

    saved, cap = rollups._settled, pages.COUNT_CAP
    rollups._settled = lambda: False
    pages.COUNT_CAP = 2**62
    with connection.cursor() as cur:
        cur.execute("SET jit = DEFAULT; SET max_parallel_workers_per_gather = DEFAULT")
    try:
        yield
    finally:
        rollups._settled, pages.COUNT_CAP = saved, cap
        with connection.cursor() as cur:
            cur.execute("SET jit = off; SET max_parallel_workers_per_gather = 0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=("county", "province"), default=None)
    parser.add_argument("--match", default="", help="only requests whose label contains this")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    province.setup_django()

    from django.test import Client

    from dangjian.accounts.models import User
    from dangjian.accounts.services import token_issue
    from dangjian.core.apitools import encode_cursor
    from dangjian.core.scope import path_above
    from dangjian.orglife.selectors import meeting_queryset
    from dangjian.orgs.models import Organisation
    from tests.kit import login_verified

    if not Organisation.objects.exists():
        province.generate()
    superuser = User.objects.filter(username="bench_root").first() or (
        User.objects.create_superuser("bench_root", "bench@example.cn", "Bench-Passw0rd!")
    )
    root = Organisation.objects.get(depth=1)
    # a county in the middle of the province (its branches' ids are neither the first nor
    # the last), and its city
    counties = Organisation.objects.filter(depth=3).order_by("path")
    county = counties[counties.count() // 2]
    city = Organisation.objects.get(path=path_above(county.path))
    users = {
        "county": (bench_user(f"bench_county_admin_{county.pk}", county, superuser), county),
        "province": (bench_user("bench_province_admin", root, superuser), root),
    }
    api = Client()
    cases = []
    for who, (user, top) in users.items():
        if args.only and who != args.only:
            continue
        page = login_verified(Client(), user)
        raw, _ = token_issue(user=user)
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        # compliance of the province itself is ~16 cities of Python work: a city instead
        target = top if who == "county" else city
        deep = 5000  # a deep page of the meeting list, by offset and by cursor
        before = meeting_queryset(user).order_by("-starts_at", "-id")[deep - 1]
        cursor = encode_cursor(before, [("starts_at", True), ("id", True)])
        for label, client, url, headers in (
            ("GET /api/v1/members?limit=20", api, "/api/v1/members?limit=20", bearer),
            ("GET /members/", page, "/members/", {}),
            ("GET /api/v1/orgs/{top}", api, f"/api/v1/orgs/{top.pk}", bearer),
            ("GET /api/v1/orgs/{top}/children", api, f"/api/v1/orgs/{top.pk}/children", bearer),
            ("GET /orgs/{top}/ (page)", page, f"/orgs/{top.pk}/", {}),
            ("GET / (home)", page, "/", {}),
            ("GET /api/v1/orglife/meetings", api, "/api/v1/orglife/meetings", bearer),
            ("GET /orglife/ (meetings page)", page, "/orglife/", {}),
            (
                f"GET /api/v1/orglife/meetings?offset={deep}",
                api,
                f"/api/v1/orglife/meetings?offset={deep}",
                bearer,
            ),
            (
                f"GET /api/v1/orglife/meetings?cursor=(row {deep})",
                api,
                f"/api/v1/orglife/meetings?cursor={cursor}",
                bearer,
            ),
            ("GET /api/v1/warnings", api, "/api/v1/warnings", bearer),
            ("GET /warnings/", page, "/warnings/", {}),
            (
                f"GET /api/v1/orglife/compliance ({target.org_type}, 2026-10)",
                api,
                f"/api/v1/orglife/compliance?org_id={target.pk}&period=2026-10",
                bearer,
            ),
            (
                f"GET /orglife/compliance/{{{target.org_type}}}/ (page)",
                page,
                f"/orglife/compliance/{target.pk}/?period=2026-10",
                {},
            ),
        ):
            if args.match in label:
                cases.append((f"{who} admin: {label}", client, url, headers))

    print(f"province {root.pk}, city {city.name} ({city.pk}), county {county.name} ({county.pk})")
    print(f"runs={args.runs}, load average before: {os.getloadavg()[0]:.1f}")
    print("| request | median ms | queries | baseline ms | baseline queries | ratio | status |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    results = []
    for label, client, url, headers in cases:
        ms, status, count = measure(client, url, headers, args.runs)
        if args.no_baseline:
            base_ms, base_count = float("nan"), 0
        else:
            with baseline():
                base_ms, base_status, base_count = measure(client, url, headers, args.runs)
            assert base_status == status, (label, status, base_status)
        results.append((ms, label, client, url, headers))
        print(
            f"| {label} | {ms:.0f} | {count} | {base_ms:.0f} | {base_count} "
            f"| {base_ms / ms:.1f}× | {status} |",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if not args.explain:
        return
    ms, label, client, url, headers = max(results, key=lambda r: r[0])
    print(f"\nslowest: {label} ({ms:.0f} ms); its queries, slowest first:")
    queries = slowest_queries(client, url, headers)
    for took, sql in queries[:5]:
        print(f"  {took:8.1f} ms  {sql[:300]}")
    print("\nEXPLAIN ANALYZE of the slowest query:")
    print(explain(queries[0][1]))


if __name__ == "__main__":
    main()
