"""Apps register their own permissions and roles; core names none of them."""

import pytest

from dangjian.core import scope
from dangjian.core.scope import Perm, Role, role_perms


def test_each_app_registers_its_own_permissions():
    codes = {str(perm) for perm in Perm}
    assert {"org.view", "member.view", "orglife.view", "consult.kb"} <= codes
    assert Perm.VIEW_ORGLIFE == "orglife.view" and Perm.VIEW_ORGLIFE.label


def test_admin_carries_every_permission_and_others_only_what_they_were_given():
    assert role_perms(Role.ADMIN) == frozenset(Perm)
    assert Perm.EDIT_KB in role_perms(Role.AGENT)
    assert Perm.VIEW_ORG in role_perms(Role.AGENT)  # granted by consult to its own role
    assert Perm.CHANGE_ORG not in role_perms(Role.LEADER)
    assert Perm.VIEW_MEMBER not in role_perms(Role.HANDLER)


def test_an_unregistered_name_is_an_error_not_a_silent_empty_scope():
    with pytest.raises(AttributeError):
        _ = Perm.FLY_TO_THE_MOON
    with pytest.raises(KeyError):
        _ = Role["ASTRONAUT"]


def test_registering_twice_returns_the_same_entry():
    again = scope.register_permission("VIEW_ORG", "org.view", "查看组织", roles=())
    assert again is Perm.VIEW_ORG


def test_role_choices_list_every_registered_role_with_its_label():
    assert ("agent", "12371坐席") in scope.role_choices()
    assert {code for code, _ in scope.role_choices()} == {str(role) for role in Role}
