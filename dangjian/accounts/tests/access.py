"""Accounts in the access matrix (tests/access/spec.py): nothing of the tree is reached
through them; their operations act on the caller alone."""

from tests.access.spec import Spec

SPEC = Spec(
    module="accounts",
    kinds=[],
    endpoints=[],
    exempt={
        "POST /api/v1/auth/token": "public by design: the login (tests/security/test_tokens.py)",
        "POST /api/v1/auth/token/revoke": "the caller's own token: tests/security/test_tokens.py",
        "GET /api/v1/auth/me": "the caller's own account: accounts/tests/test_api.py",
    },
)
