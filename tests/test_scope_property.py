"""Property: over random trees, moves and role grants, ``visible_to`` is the oracle.

The oracle walks a plain parent map (上级看下级: a grant covers the organisation it is
held at and everything below it, as the tree is after the moves); the system answers
through materialized paths rewritten by treebeard on each move. They must agree for
organisations and for members, for every permission.
"""

import datetime as dt

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.accounts.models import RoleAssignment, User
from dangjian.core import scope
from dangjian.core.scope import Perm, Role, role_perms
from dangjian.members import services as members
from dangjian.members.models import Member
from dangjian.orgs import services as orgs
from dangjian.orgs.models import Organisation
from tests.kit import new_id_number

MAX_NODES = 9


@st.composite
def scenarios(draw):
    """A random tree of committees under a province (each with a branch), moves, grants."""
    size = draw(st.integers(min_value=2, max_value=MAX_NODES))
    parents = [None] + [draw(st.integers(min_value=0, max_value=i - 1)) for i in range(1, size)]
    moves = draw(
        st.lists(
            st.tuples(
                st.integers(min_value=1, max_value=size - 1),
                st.integers(min_value=0, max_value=size - 1),
            ),
            max_size=4,
        )
    )
    grants = draw(
        st.lists(
            st.tuples(st.integers(min_value=0, max_value=size - 1), st.sampled_from(list(Role))),
            max_size=4,
        )
    )
    return parents, moves, grants


def _under(parent: dict[int, int | None], node: int, top: int) -> bool:
    while node is not None:
        if node == top:
            return True
        node = parent[node]
    return False


def _build(root_user, parents) -> tuple[dict[int, Organisation], dict[int, Member]]:
    committees: dict[int, Organisation] = {}
    branch_members: dict[int, Member] = {}
    for i, parent in enumerate(parents):
        fields = {
            "name": f"党委{i}",
            "org_type": "province" if parent is None else "committee",
            "code": f"PROP{i:08d}",
            "founded_on": dt.date(2000, 1, 1),
        }
        if parent is None:
            committees[i] = orgs.org_create_root(acting_user=root_user, **fields)
        else:
            committees[i] = orgs.org_create(
                acting_user=root_user, parent=committees[parent], **fields
            )
        if parent is None:
            continue  # a province holds no branch directly
        branch = orgs.org_create(
            acting_user=root_user,
            parent=committees[i],
            name=f"党支部{i}",
            org_type="branch",
            code=f"PROB{i:08d}",
            founded_on=dt.date(2000, 1, 1),
        )
        branch_members[i] = members.member_create(
            acting_user=root_user,
            branch=branch,
            name=f"党员{i}",
            id_number=new_id_number(),
            ethnicity="汉族",
            education="bachelor",
            joined_on=dt.date(2010, 7, 1),
            full_member_on=dt.date(2011, 7, 1),
            status="full",
        )
    return committees, branch_members


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scenario=scenarios())
def test_visible_to_equals_the_oracle(cast, scenario):
    parents, moves, grants = scenario
    root_user = cast.user["root"]
    with transaction.atomic():
        committees, branch_members = _build(root_user, parents)
        parent = dict(enumerate(parents))
        for node, target in moves:
            if _under(parent, target, node) or parent[node] == target:
                continue  # into its own subtree, or nowhere: the service refuses these
            orgs.org_move(
                acting_user=root_user,
                org=Organisation.objects.get(pk=committees[node].pk),
                new_parent=Organisation.objects.get(pk=committees[target].pk),
            )
            parent[node] = target
        probe = User.objects.create(username="probe")
        for node, role in set(grants):
            RoleAssignment.objects.create(user=probe, org=committees[node], role=role)
        node_of = {org.pk: i for i, org in committees.items()}
        member_of = {m.pk: i for i, m in branch_members.items()}
        for perm in Perm:
            granted = {node for node, role in grants if perm in role_perms(role)}
            expected = {i for i in parent if any(_under(parent, i, g) for g in granted)}
            scope.forget(probe)
            seen = Organisation.objects.visible_to(probe, perm).filter(pk__in=node_of)
            assert {node_of[pk] for pk in seen.values_list("pk", flat=True)} == expected
            seen = Member.objects.visible_to(probe, perm).filter(pk__in=member_of)
            assert {member_of[pk] for pk in seen.values_list("pk", flat=True)} == expected - {0}
        transaction.set_rollback(True)
