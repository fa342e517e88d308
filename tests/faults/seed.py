"""The fault suite's data, made through the services: the test cast, members who check
in, meetings open for check-in, and API tokens. Writes what the load needs as JSON.

    DJANGO_SETTINGS_MODULE=dangjian.settings python -m tests.faults.seed OUT.json
"""

import datetime as dt
import json
import sys

import django

MEMBERS = 8  # members with an account who check in
MEETINGS = 80  # × MEMBERS distinct check-ins: more than the load makes
VENUE = (25.0406, 102.7122)
LOGIN_USER = "faultlogin"  # logs in by password during the cache outage (no 2FA)


def seed() -> dict:
    from django.utils import timezone

    from dangjian.accounts import services as accounts
    from dangjian.accounts.services import token_issue
    from dangjian.members import services as members
    from dangjian.orglife import services as orglife
    from tests.kit import PASSWORD, build_cast, new_id_number

    cast = build_cast()
    root, branch = cast.user["root"], cast.org["B1"]
    people = []
    for i in range(MEMBERS):
        member = members.member_create(
            acting_user=root,
            branch=branch,
            name=f"故障党员{i}",
            id_number=new_id_number(dt.date(1980, 1, 1)),
            phone=f"1397777{i:04d}",
            ethnicity="汉族",
            education="bachelor",
            joined_on=dt.date(2005, 7, 1),
            full_member_on=dt.date(2006, 7, 1),
            status="full",
        )
        user = accounts.user_create(
            acting_user=root,
            username=f"fault{i}",
            password=PASSWORD,
            member=member,
            validate_password=False,
        )
        people.append(user)
    accounts.user_create(
        acting_user=root, username=LOGIN_USER, password=PASSWORD, validate_password=False
    )
    now = timezone.now()
    meetings = [
        orglife.meeting_create(
            acting_user=cast.user["branch_admin"],
            org=branch,
            kind="theme_day",
            topic=f"故障演练第{n}次",
            starts_at=now - dt.timedelta(minutes=10),
            ends_at=now + dt.timedelta(hours=3),
            latitude=VENUE[0],
            longitude=VENUE[1],
        ).pk
        for n in range(MEETINGS)
    ]

    def token(user) -> str:
        return token_issue(user=user)[0]

    return {
        "password": PASSWORD,
        "login_user": LOGIN_USER,
        "venue": VENUE,
        "meetings": meetings,
        "members": [token(u) for u in people],
        "admin": token(cast.user["branch_admin"]),
        "reader": token(cast.user["province_admin"]),
        "asker": token(cast.user["member"]),
        "edited_member": cast.member["B1m2"].pk,
    }


if __name__ == "__main__":
    django.setup()
    with open(sys.argv[1], "w") as out:
        json.dump(seed(), out)
