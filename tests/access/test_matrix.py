"""The access matrix of every module: each declared endpoint and page × every user of the
cast × every object of its kind across the tree levels (tests/access/spec.py says how a
module declares them and what the oracle expects)."""

import django
import pytest

django.setup()

from dangjian.core.scope import roles_with  # noqa: E402
from tests.access.harness import case_id, declared, run, specs  # noqa: E402

CASES = declared()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_access(client, cast, case):
    spec, access = case
    wrong = run(client, cast, spec, access)
    assert not wrong, f"{case_id(case)}\n" + "\n".join(wrong)


@pytest.mark.parametrize("spec", specs(), ids=lambda s: s.module)
def test_permissions_carry_the_declared_roles(spec):
    """The oracle reads the registered permissions; each module pins who holds them, so a
    permission granted to one more role fails here rather than widening the matrix."""
    assert spec.roles or not spec.kinds, "declare which roles carry the module's permissions"
    for perm, roles in spec.roles.items():
        assert set(roles_with(perm)) == roles, perm
