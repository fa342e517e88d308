"""Second-factor seeds are encrypted, and var/ is owner-only (issue 10).

django-otp kept TOTP seeds in clear, and the database, keys and backups were created
world-readable (0644): any local account could copy the database and mint codes for
every administrator. Devices now live in accounts.TwoFactorDevice, whose key is an
EncryptedTextField; var/ files are 0600 and directories 0700; a system check refuses
to start quietly when they are not.
"""

import importlib
import os
import stat
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice as UpstreamDevice

from dangjian.accounts.models import TwoFactorDevice
from dangjian.accounts.twofactor import current_code
from dangjian.core import checks
from tests.kit import TOTP_KEY, give_totp_device
from tests.security.scratch import Site


def _raw_key(device) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_twofactordevice WHERE id = %s", [device.pk])
        return cursor.fetchone()[0]


def test_the_seed_is_encrypted_in_the_database(cast):
    device = give_totp_device(cast.user["outsider"])
    raw = _raw_key(device)
    assert raw.startswith("v1:") and TOTP_KEY not in raw
    assert TwoFactorDevice.objects.get(pk=device.pk).key == TOTP_KEY


def test_codes_still_verify_once(cast):
    device = give_totp_device(cast.user["outsider"])
    code = current_code(device)
    assert device.verify_token(code)
    assert not TwoFactorDevice.objects.get(pk=device.pk).verify_token(code)  # no replay


@override_settings(DEBUG=True)
def test_totp_code_command_reads_the_encrypted_seed(cast):
    device = give_totp_device(cast.user["outsider"])
    out = StringIO()
    call_command("totp_code", cast.user["outsider"].username, stdout=out)
    assert out.getvalue().strip() == current_code(device)


def test_existing_clear_devices_are_moved_and_sealed(cast):
    """The data migration: django-otp's rows become encrypted devices, and are deleted."""
    migration = importlib.import_module("dangjian.accounts.migrations.0007_two_factor_device")
    user = cast.user["outsider"]
    UpstreamDevice.objects.create(user=user, name="旧设备", key=TOTP_KEY, confirmed=True)
    migration.seal_existing(apps, None)
    assert not UpstreamDevice.objects.exists()
    device = TwoFactorDevice.objects.get(user=user)
    assert (device.key, device.name, device.confirmed) == (TOTP_KEY, "旧设备", True)
    assert TOTP_KEY not in _raw_key(device)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def site(tmp_path, request):
    """A scratch site under the common umask (0022) that made everything world-readable;
    ``migrated`` (indirect parameter): its database starts migrated."""
    old = os.umask(0o022)
    site = Site(tmp_path, "sqlite", migrated=getattr(request, "param", False))
    try:
        yield site
    finally:
        os.umask(old)
        site.close()


def test_var_files_are_created_owner_only(site, tmp_path):
    site.run("migrate", "--verbosity", "0")
    var = tmp_path / "var"
    assert _mode(var) == 0o700
    db = site.env["DANGJIAN_SQLITE"]
    assert _mode(db) == 0o600
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db + suffix):
            assert _mode(db + suffix) == 0o600
    site.run("backup", tmp_path / "backups" / "b.bak")
    assert _mode(tmp_path / "backups" / "b.bak") == 0o600
    assert _mode(tmp_path / "backups" / "b.bak.manifest.json") == 0o600
    assert _mode(tmp_path / "backups") == 0o700
    for name in ("secret_key", "keys.json"):  # the key file is made on first use (backup)
        assert _mode(var / name) == 0o600, name
    assert "dangjian.E001" not in site.run("check").stderr


@pytest.mark.parametrize("site", [True], indirect=True, ids=["migrated"])
def test_the_start_check_reports_readable_files(site, tmp_path):
    site.run("migrate", "--verbosity", "0")
    db = site.env["DANGJIAN_SQLITE"]
    os.chmod(db, 0o644)
    result = site.run("check", check=False)
    assert result.returncode != 0
    assert "dangjian.E001" in result.stderr and "chmod 600" in result.stderr
    os.chmod(db, 0o640)
    result = site.run("check", check=False)
    assert result.returncode == 0 and "dangjian.W001" in result.stderr


def test_check_lists_the_sensitive_paths(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    paths = checks.sensitive_paths()
    assert tmp_path in paths and tmp_path / "secret_key" in paths


def test_the_first_upload_makes_an_owner_only_upload_root(settings, tmp_path):
    """The demo seed writes the first files: the root it creates must not be 0755."""
    from dangjian.core import uploads

    settings.UPLOAD_DIR = str(tmp_path / "var" / "uploads")
    old = os.umask(0o022)
    try:
        uploads._write(uploads.upload_root() / "ab" / "abcd.pdf", b"%PDF-1.4")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "var" / "uploads") == 0o700
    assert _mode(tmp_path / "var" / "uploads" / "ab") == 0o700
    assert _mode(tmp_path / "var" / "uploads" / "ab" / "abcd.pdf") == 0o600
