"""Fingerprints of demo data, from a plan or from the database, to compare runs."""

import hashlib

from dangjian.members.models import Member
from dangjian.orgs.models import Organisation


def _digest(lines) -> str:
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def _org_line(code, name, org_type, founded_on, dissolved_on) -> str:
    return f"{code}|{name}|{org_type}|{founded_on}|{dissolved_on}"


def _member_line(m, branch_code, group_code, status=None) -> str:
    return (
        f"{m.name}|{m.id_number}|{m.gender}|{m.birth_date}|{m.ethnicity}|{m.phone}|"
        f"{m.education}|{m.occupation}|{m.joined_on}|{m.full_member_on}|{status or m.status}|"
        f"{branch_code}|{group_code}"
    )


def _generated() -> dict[int, dict]:
    """Members' records before the apps' demos changed them (流动/失联 by mobility's,
    已转出 — group cleared — by transfers'): the ``before`` of each one's first such
    audit entry."""
    from dangjian.core.models import AuditEntry

    first: dict[int, dict] = {}
    entries = AuditEntry.objects.filter(action__in=("member.situation", "member.transfer_out"))
    for object_id, before in entries.order_by("id").values_list("object_id", "before"):
        first.setdefault(int(object_id), before)
    return first


def _arrived():
    """Member records created (not reopened) by accepted 组织关系转入 letters."""
    from dangjian.transfers.models import IncomingTransfer

    return IncomingTransfer.objects.filter(member__isnull=False, reopened=False).values("member_id")


def of_plan(units) -> tuple[str, str]:
    """(organisations, members) fingerprints of populated units."""
    orgs, members = [], []
    for unit in units:
        unit.populate()
        orgs += [
            _org_line(r.code, r.name, r.org_type, r.founded_on, r.dissolved_on) for r in unit.orgs
        ]
        members += [_member_line(m, m.branch_code, m.group_code) for m in unit.members]
    return _digest(orgs), _digest(members)


def of_database() -> tuple[str, str]:
    codes = dict(Organisation.objects.values_list("pk", "code"))
    orgs = [
        _org_line(*row)
        for row in Organisation.objects.values_list(
            "code", "name", "org_type", "founded_on", "dissolved_on"
        )
    ]
    generated = _generated()
    members = [
        _member_line(
            m,
            codes[m.branch_id],
            codes.get(generated[m.pk]["group"] if m.pk in generated else m.group_id),
            generated[m.pk]["status"] if m.pk in generated else None,
        )
        # Members admitted through 发展党员's demo applicants, or arrived from outside the
        # platform through 组织关系转入's, are not in the generator's plan.
        for m in Member.objects.filter(application__isnull=True)
        .exclude(pk__in=_arrived())
        .iterator(chunk_size=2000)
    ]
    return _digest(orgs), _digest(members)
