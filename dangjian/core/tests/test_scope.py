"""Property: for any set of roles, the scoped rows are exactly the subtrees they grant."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.accounts.models import RoleAssignment, User
from dangjian.core import scope
from dangjian.core.scope import Perm, Role, role_perms
from dangjian.members.selectors import member_queryset
from dangjian.orgs.models import Organisation
from dangjian.orgs.selectors import org_queryset
from tests.kit import ORG_KEYS, TREE, ancestors_or_self

GRANTS = st.lists(st.tuples(st.sampled_from(ORG_KEYS), st.sampled_from(list(Role))), max_size=4)
BRANCH_OF_MEMBER = {
    key: key.split("m")[0]
    for key in ("B1m1", "B1m2", "B2m1", "B2m2", "B3m1", "B3m2", "B4m1", "B4m2")
}


def _expected_orgs(grants, perm):
    granted = {org for org, role in grants if perm in role_perms(role)}
    return {key for key in ORG_KEYS if granted & set(ancestors_or_self(key))}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(grants=GRANTS)
def test_scoped_rows_are_exactly_the_granted_subtrees(cast, grants):
    user = User.objects.create(username="probe")
    try:
        for org_key, role in set(grants):
            RoleAssignment.objects.create(user=user, org=cast.org[org_key], role=role)
        key_of = {o.pk: k for k, o in cast.org.items()}
        seen_orgs = {key_of[pk] for pk in org_queryset(user).values_list("pk", flat=True)}
        assert seen_orgs == _expected_orgs(grants, Perm.VIEW_ORG)

        member_key = {m.pk: k for k, m in cast.member.items()}
        seen_members = {member_key[pk] for pk in member_queryset(user).values_list("pk", flat=True)}
        member_orgs = _expected_orgs(grants, Perm.VIEW_MEMBER)
        assert seen_members == {m for m, b in BRANCH_OF_MEMBER.items() if b in member_orgs}

        for key in ORG_KEYS:
            path = cast.org[key].path
            assert scope.covers(user, Perm.CHANGE_ORG, path) == (
                key in _expected_orgs(grants, Perm.CHANGE_ORG)
            )
    finally:
        user.delete()


def test_prefix_free_drops_covered_paths():
    assert scope.prefix_free(["0001", "00010002", "0002", "000100020003"]) == ("0001", "0002")


def test_dissolved_organisations_grant_nothing(cast):
    user = cast.user["county_admin"]
    Organisation.objects.filter(pk=cast.org["K1"].pk).update(dissolved_on="2025-01-01")
    scope.forget(user)
    assert not org_queryset(user).exists()


def test_inactive_and_anonymous_users_see_nothing(cast):
    from django.contrib.auth.models import AnonymousUser

    user = cast.user["province_admin"]
    user.is_active = False
    assert not org_queryset(user).exists()
    assert not org_queryset(AnonymousUser()).exists()


def test_tree_fixture_matches_its_description(cast):
    for key, parent, *_ in TREE:
        actual = Organisation.objects.get_parent(cast.org[key])
        assert (actual.pk if actual else None) == (cast.org[parent].pk if parent else None)


def test_path_arithmetic_at_its_edges():
    assert scope.ancestor_paths("000100020003") == ["0001", "00010002"]
    assert scope.ancestor_paths("000100020003", include_self=True)[-1] == "000100020003"
    assert scope.ancestor_paths("0001") == []
    assert scope.path_above("000100020003") == "00010002"
    assert scope.path_above("000100020003", 2) == "0001"
    assert scope.path_above("000100020003", 3) == ""  # above the root
    assert scope.path_above("0001") == ""
    assert scope.path_depth("00010002") == 2
    assert scope.within("00010002", "0001") and scope.within("0001", "0001")
    assert not scope.within("0001", "00010002") and not scope.within("00020001", "0001")
