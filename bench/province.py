"""A province-sized tree for benches, written straight into PostgreSQL in minutes.

``seed_demo --scale province`` builds the same size through the services (every member
validated, encrypted and audited), which takes hours on a 2-core machine. Benches need
the *shape*, not the audit trail: this writes the organisations with COPY and the
members and meetings with ``INSERT … SELECT generate_series`` — bench only, never a
deployment's data.

Shape (≈150,000 organisations, ≈2.6 million members, like the demo's province):
1 province › 16 cities › 129 counties › 35 党委 each › 24 党支部 (the first 4 with a
党小组) + 1 党总支 with 3 党支部 — 945 branches a county, 5–38 members a branch
(mean ≈21.5). Member attributes are drawn from hashes of (branch, sequence), so the
same command gives the same rows; their distributions are roughly those of the 党内统计
returns (≈93 % 正式党员, ≈72 % men, ≈80 % 汉族). ID numbers, phones and addresses are a
pool of 1,000 real ciphertexts (under the bench's keys) shared round robin, so pages that
decrypt and mask them work; the blind-index digests are unique placeholders.

    DATABASE_URL=postgres://…/dj_province DANGJIAN_VAR_DIR=/tmp/bench-var \\
        python bench/province.py [--reset] [--meeting-months 3]
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's MP alphabet
CITIES, COUNTIES, COMMITTEES, BRANCHES, GROUPED, SUB_BRANCHES = 16, 129, 35, 24, 4, 3
SECRETS = 1000
FOUNDED = dt.date(1990, 7, 1)


def step(n: int) -> str:
    """One 4-character path step (1-based, as treebeard numbers children)."""
    out = ""
    for _ in range(4):
        n, r = divmod(n, 36)
        out = ALPHABET[r] + out
    return out


def plan():
    """Yield (path, org_type, name) in path order, and nothing else — ids follow."""
    yield step(1), "province", "云南省委（基准）"
    county_no = 0
    for c in range(1, CITIES + 1):
        city = step(1) + step(c)
        yield city, "city", f"第{c}市委"
        counties = COUNTIES // CITIES + (1 if c <= COUNTIES % CITIES else 0)
        for k in range(1, counties + 1):
            county_no += 1
            county = city + step(k)
            yield county, "county", f"第{county_no}县委"
            for t in range(1, COMMITTEES + 1):
                committee = county + step(t)
                yield committee, "committee", f"第{county_no}县第{t}党委"
                for b in range(1, BRANCHES + 1):
                    branch = committee + step(b)
                    yield branch, "branch", f"第{t}党委第{b}党支部"
                    if b <= GROUPED:
                        yield branch + step(1), "group", "第一党小组"
                general = committee + step(BRANCHES + 1)
                yield general, "general_branch", f"第{t}党委党总支"
                for s in range(1, SUB_BRANCHES + 1):
                    yield general + step(s), "branch", f"第{t}党委总支第{s}党支部"


def _numchild(paths: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in paths:
        parent = path[:-4]
        if parent:
            counts[parent] = counts.get(parent, 0) + 1
    return counts


def write_orgs(cur) -> int:
    rows = list(plan())
    numchild = _numchild([p for p, _, _ in rows])
    now = dt.datetime.now(dt.UTC)
    blanks = ("", "", "")  # dissolve_reason, address, contact_phone
    cols = (
        "id, path, depth, numchild, name, org_type, code, founded_on, dissolve_reason, "
        "address, contact_phone, created_at, updated_at"
    )
    with cur.copy(f"COPY orgs_organisation ({cols}) FROM STDIN") as copy:
        for pk, (path, org_type, name) in enumerate(rows, 1):
            node = (pk, path, len(path) // 4, numchild.get(path, 0))
            copy.write_row((*node, name, org_type, f"BENCH{pk:09d}", FOUNDED, *blanks, now, now))
    cur.execute("SELECT setval(pg_get_serial_sequence('orgs_organisation', 'id'), %s)", [len(rows)])
    return len(rows)


def write_secrets(cur) -> None:
    """A pool of real ciphertexts (encrypted with the bench's keys)."""
    from dangjian.core import crypto, idcard

    cur.execute(
        "CREATE TEMP TABLE bench_secret (i int PRIMARY KEY, id_number text, phone text, "
        "address text)"
    )
    with cur.copy("COPY bench_secret (i, id_number, phone, address) FROM STDIN") as copy:
        for i in range(SECRETS):
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=i * 17)
            number = idcard.build("530102", birth, i % 1000)
            copy.write_row(
                (
                    i,
                    crypto.encrypt(number),
                    crypto.encrypt(f"139{i:08d}"),
                    crypto.encrypt(f"昆明市五华区基准路{i}号"),
                )
            )


# u(k): the k-th independent draw for (branch, sequence), in [0, 1000)
U = "(((hashint8extended(b.id * 64 + s, {k}) % 1000) + 1000) % 1000)"
MEMBERS_SQL = f"""
INSERT INTO members_member (
    name, gender, ethnicity, birth_date, id_number, id_number_digest, phone, phone_digest,
    address, education, occupation, joined_on, full_member_on, status, branch_id,
    created_at, updated_at)
SELECT
    (ARRAY['张','王','李','赵','刘','陈','杨','黄','周','吴'])[1 + {U.format(k=1)} % 10]
        || '党员' || s,
    CASE WHEN {U.format(k=2)} < 720 THEN 'M' ELSE 'F' END,
    CASE WHEN {U.format(k=3)} < 800 THEN '汉族' WHEN {U.format(k=3)} < 870 THEN '彝族'
         WHEN {U.format(k=3)} < 900 THEN '白族' WHEN {U.format(k=3)} < 930 THEN '哈尼族'
         WHEN {U.format(k=3)} < 950 THEN '傣族' WHEN {U.format(k=3)} < 965 THEN '壮族'
         WHEN {U.format(k=3)} < 980 THEN '苗族' WHEN {U.format(k=3)} < 990 THEN '回族'
         ELSE '傈僳族' END,
    x.birth, k.id_number, md5('id-' || b.id || '-' || s), k.phone,
    md5('phone-' || b.id || '-' || s), k.address,
    CASE WHEN {U.format(k=4)} < 50 THEN 'postgraduate' WHEN {U.format(k=4)} < 350 THEN 'bachelor'
         WHEN {U.format(k=4)} < 570 THEN 'college'
         WHEN {U.format(k=4)} < 650 THEN 'secondary_vocational'
         WHEN {U.format(k=4)} < 750 THEN 'high_school' ELSE 'junior_or_below' END,
    '', x.joined,
    CASE WHEN x.status = 'probationary' THEN NULL ELSE x.joined + 366 END,
    x.status, b.id, now(), now()
FROM bench_branch b
CROSS JOIN LATERAL generate_series(1, b.n) s
CROSS JOIN LATERAL (
    SELECT date '1936-01-01' + ({U.format(k=5)} * 25)::int AS birth,
           CASE WHEN {U.format(k=6)} < 930 THEN 'full' WHEN {U.format(k=6)} < 960 THEN 'probationary'
                WHEN {U.format(k=6)} < 980 THEN 'mobile' WHEN {U.format(k=6)} < 985 THEN 'lost_contact'
                WHEN {U.format(k=6)} < 987 THEN 'suspended' WHEN {U.format(k=6)} < 990 THEN 'left'
                ELSE 'deceased' END AS status
) d
CROSS JOIN LATERAL (
    SELECT d.birth, d.status,
           CASE WHEN d.status = 'probationary' THEN date '2026-03-01'
                ELSE least(d.birth + (7300 + {U.format(k=7)} * 10)::int, date '2025-06-01') END AS joined
) x
JOIN bench_secret k ON k.i = (b.id * 31 + s) % {SECRETS}
"""

MEETINGS_SQL = """
INSERT INTO orglife_meeting (
    branch_id, kind, topic, starts_at, ends_at, place, checkin_radius_m, online_link,
    agenda, minutes, status, cancel_reason, recorded_at, created_at, updated_at)
SELECT b.id, kind, '基准会议', t, t + interval '2 hours', '', 300, '', '', '纪要', 'held', '',
       t + interval '3 hours', now(), now()
FROM bench_branch b
CROSS JOIN generate_series(0, %(months)s - 1) m
CROSS JOIN unnest(ARRAY['theme_day', 'committee']) kind
CROSS JOIN LATERAL (
    SELECT (date '2026-08-01' + (m || ' months')::interval + ((b.id %% 20) || ' days')::interval
            + interval '1 hour') AT TIME ZONE 'Asia/Shanghai' AS t
) w
"""


def write_members(cur, meeting_months: int) -> tuple[int, int]:
    cur.execute("CREATE TEMP TABLE bench_branch (id bigint PRIMARY KEY, n int)")
    cur.execute(
        "INSERT INTO bench_branch SELECT id, 5 + (id * 7919) %% 34 FROM orgs_organisation "
        "WHERE org_type = %s",
        ["branch"],
    )
    write_secrets(cur)
    cur.execute(MEMBERS_SQL)
    members = cur.rowcount
    meetings = 0
    if meeting_months:
        cur.execute(MEETINGS_SQL, {"months": meeting_months})
        meetings = cur.rowcount
    return members, meetings


def setup_django() -> None:
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    import django

    django.setup()


def generate(*, reset: bool = False, meeting_months: int = 3, say=print) -> None:
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        raise SystemExit("bench/province.py writes PostgreSQL only (set DATABASE_URL)")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM orgs_organisation")
        if cur.fetchone()[0]:
            if not reset:
                raise SystemExit("the database already has organisations (use --reset)")
            cur.execute("TRUNCATE orgs_organisation, members_member RESTART IDENTITY CASCADE")
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as wrapper:
        cur = wrapper.cursor  # psycopg's own cursor, for COPY
        orgs = write_orgs(cur)
        say(f"organisations: {orgs:,} ({time.monotonic() - started:.0f} s)")
        members, meetings = write_members(cur, meeting_months)
        say(f"members: {members:,}, meetings: {meetings:,} ({time.monotonic() - started:.0f} s)")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    say(f"generated and analysed in {time.monotonic() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reset", action="store_true", help="truncate the tree first")
    parser.add_argument("--meeting-months", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    generate(reset=args.reset, meeting_months=args.meeting_months)


if __name__ == "__main__":
    main()
