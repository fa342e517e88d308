"""A fast password hasher for the test suite only.

Argon2 with Django's production costs (100 MB, several passes) makes each of the
thousands of users the suite creates cost tens of milliseconds. The test hasher keeps
the same algorithm and stored format (``argon2$...``), so every password rule and
check behaves as in production, at the smallest cost Argon2 allows.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 8  # KiB: Argon2's minimum for one lane
    parallelism = 1
