"""Settings of the test run: the project's, plus apps that exist only for tests.

``tests.caseapp`` holds a concrete case model for the core case engine's own tests
(dangjian/core/tests/test_cases.py): core ships only abstract bases and must import no
domain app, so its tests bring their own small model instead of borrowing one from an
app whose workflow they would have to share. Its migration (it needs one: its foreign
keys point at migrated apps) runs only in the test databases; ``makemigrations --check``
and every deployment use ``dangjian.settings`` and never see the app.
"""

import os
import tempfile

# A private var/ (keys, secret, audit checkpoints) for every test process, set before the
# project's settings read it: pytest-django loads settings before any conftest runs. Each
# xdist worker gets its own (the environment it inherits names the controller's);
# commands a test starts inherit their process's through the environment.
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker is not None and os.environ.get("DANGJIAN_TEST_VAR_WORKER") != _worker:
    os.environ["DANGJIAN_VAR_DIR"] = tempfile.mkdtemp(prefix=f"dangjian-test-{_worker}-")
    os.environ["DANGJIAN_TEST_VAR_WORKER"] = _worker
else:
    os.environ.setdefault("DANGJIAN_VAR_DIR", tempfile.mkdtemp(prefix="dangjian-test-"))

# No connection pool in the suite: tests that start threads leave their connections
# checked out, which a pool of DB_POOL_MAX runs out of over thousands of tests. The pool
# is exercised where it matters, by the fault suite (make faults) against gunicorn.
os.environ.setdefault("DANGJIAN_DB_POOL", "0")

from dangjian.settings import *  # noqa: E402, F403
from dangjian.settings import INSTALLED_APPS  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "tests.caseapp"]

# Tests read static files from the apps' directories as they are (no collectstatic, no
# manifest); dangjian/core/tests/test_static.py collects them to check the real storage.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
