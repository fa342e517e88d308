"""Pages and API at province scale, in-process: medians per request and the slowest query.

    DATABASE_URL=postgres://…/dj_province DANGJIAN_VAR_DIR=/tmp/bench-var \\
        python bench/province_pages.py [--runs 5]

On the database of ``bench/province.py`` (run ``bench/rollups.py`` first, or this
generates it), with the production-like ``bench/bench_settings.py``: a county admin's
member list (API and page) and home page, a city admin's view of the city (detail,
children) and its organisational-life compliance (API and page). Each request goes
through Django's test client (the whole middleware stack, no network). Prints a table
of medians, then the queries of the slowest request, with ``EXPLAIN ANALYZE`` of its
slowest query. Reads only, apart from the two bench users and their tokens.
"""

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    province.setup_django()

    from django.test import Client

    from dangjian.accounts.models import User
    from dangjian.accounts.services import token_issue
    from dangjian.orgs.models import Organisation
    from tests.kit import login_verified

    if not Organisation.objects.exists():
        province.generate()
    superuser = User.objects.filter(username="bench_root").first() or (
        User.objects.create_superuser("bench_root", "bench@example.cn", "Bench-Passw0rd!")
    )
    city = Organisation.objects.filter(depth=2).order_by("path").first()
    county = Organisation.objects.filter(depth=3, path__startswith=city.path).first()
    county_admin = bench_user("bench_county_admin", county, superuser)
    city_admin = bench_user("bench_city_admin", city, superuser)

    def session(user) -> Client:
        return login_verified(Client(), user)

    def token(user) -> dict:
        raw, _ = token_issue(user=user)
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    county_page, city_page = session(county_admin), session(city_admin)
    county_api, city_api = token(county_admin), token(city_admin)
    api = Client()
    cases = [
        ("county admin: GET /api/v1/members?limit=20", api, "/api/v1/members?limit=20", county_api),
        ("county admin: GET / (home)", county_page, "/", {}),
        ("county admin: GET /members/", county_page, "/members/", {}),
        ("city admin: GET /api/v1/orgs/{city}", api, f"/api/v1/orgs/{city.pk}", city_api),
        (
            "city admin: GET /api/v1/orgs/{city}/children",
            api,
            f"/api/v1/orgs/{city.pk}/children",
            city_api,
        ),
        (
            "city admin: GET /api/v1/orglife/compliance (city, 2026-10)",
            api,
            f"/api/v1/orglife/compliance?org_id={city.pk}&period=2026-10",
            city_api,
        ),
        (
            "city admin: GET /orglife/compliance/{city}/ (page, 2026-10)",
            city_page,
            f"/orglife/compliance/{city.pk}/?period=2026-10",
            {},
        ),
    ]
    print(f"city {city.name} ({city.pk}), county {county.name} ({county.pk}); runs={args.runs}")
    print("| request | median ms | status | queries |")
    print("|---|---:|---:|---:|")
    results = []
    for label, client, url, headers in cases:
        ms, status, count = measure(client, url, headers, args.runs)
        results.append((ms, label, client, url, headers))
        print(f"| {label} | {ms:.0f} | {status} | {count} |", flush=True)
    ms, label, client, url, headers = max(results, key=lambda r: r[0])
    print(f"\nslowest: {label} ({ms:.0f} ms); its queries, slowest first:")
    queries = slowest_queries(client, url, headers)
    for took, sql in queries[:5]:
        print(f"  {took:8.1f} ms  {sql[:300]}")
    print("\nEXPLAIN ANALYZE of the slowest query:")
    print(explain(queries[0][1]))


if __name__ == "__main__":
    main()
