"""Static files as `make demo` and production serve them: collected with hashed names
and gzip/Brotli copies, served by WhiteNoise compressed, the hashed names cached for a
year (immutable), with DEBUG on (the demo) as well as off."""

import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

HASHED_HTMX = re.compile(r"/static/vendor/htmx/htmx\.min\.[0-9a-f]{12}\.js")
YEAR = 365 * 24 * 3600
OWN_FILES = ["django.contrib.staticfiles.finders.FileSystemFinder"]  # dangjian/static


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """The project's own static files collected (the admin's and the API docs' are
    collected the same way, only slower)."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(
        STATIC_ROOT=root, STORAGES=_production_storages(), STATICFILES_FINDERS=OWN_FILES
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


def _production_storages():
    from dangjian import settings

    return settings.STORAGES


@pytest.mark.parametrize("debug", [False, True], ids=["production", "demo"])
def test_hashed_names_compressed_and_cached_for_a_year(static_root, debug):
    settings = {
        "STATIC_ROOT": static_root,
        "STORAGES": _production_storages(),
        "DEBUG": debug,
        "WHITENOISE_AUTOREFRESH": debug,
        "WHITENOISE_USE_FINDERS": debug,
    }
    with override_settings(**settings):
        client = Client()
        html = client.get(reverse("accounts:login")).content.decode()
        url = HASHED_HTMX.search(html)
        assert url, "the page names the hashed file"
        response = client.get(url.group(0), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response.status_code == 200
        assert response["Content-Encoding"] == "br"
        assert response["Cache-Control"] == f"max-age={10 * YEAR}, public, immutable"
        assert int(response["Content-Length"]) < 20_000  # 52 KB uncompressed
        assert "Accept-Encoding" in response["Vary"]
        assert response["X-Content-Type-Options"] == "nosniff"

        gzip = client.get(url.group(0), HTTP_ACCEPT_ENCODING="gzip")
        assert gzip["Content-Encoding"] == "gzip"
        plain = client.get("/static/css/site.css")  # an unhashed name: revalidated
        assert plain.status_code == 200 and "immutable" not in plain["Cache-Control"]


def test_a_checkout_without_collectstatic_still_renders(tmp_path):
    """No manifest (collectstatic never ran): the pages name the plain files."""
    with override_settings(
        STATIC_ROOT=tmp_path, STORAGES=_production_storages(), WHITENOISE_USE_FINDERS=True
    ):
        client = Client()
        response = client.get(reverse("accounts:login"))
        assert response.status_code == 200
        assert "/static/vendor/htmx/htmx.min.js" in response.content.decode()
        assert client.get("/static/vendor/htmx/htmx.min.js").status_code == 200
