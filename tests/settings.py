"""Settings of the test run: the project's, plus apps that exist only for tests.

``tests.caseapp`` holds a concrete case model for the core case engine's own tests
(dangjian/core/tests/test_cases.py): core ships only abstract bases and must import no
domain app, so its tests bring their own small model instead of borrowing one from an
app whose workflow they would have to share. Its migration (it needs one: its foreign
keys point at migrated apps) runs only in the test databases; ``makemigrations --check``
and every deployment use ``dangjian.settings`` and never see the app.
"""

from dangjian.settings import *  # noqa: F403
from dangjian.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.caseapp"]
