"""The member photo (证件照): uploaded by admins over the branch, served through scope."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from dangjian.core import uploads
from dangjian.core.models import AuditEntry, StoredFile
from dangjian.members import services
from dangjian.members.models import Member
from tests.kit import USER_KEYS, changes_org, sees_member

pytestmark = pytest.mark.django_db


def jpeg(size=(60, 80)) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    Image.new("RGB", size, (10, 120, 200)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def photo_file(data=None, name="证件照.jpg"):
    return SimpleUploadedFile(name, jpeg() if data is None else data, content_type="image/jpeg")


@pytest.fixture
def with_photo(cast):
    member = cast.member["B1m2"]
    services.member_photo_set(acting_user=cast.user["root"], member=member, upload=photo_file())
    return Member.objects.get(pk=member.pk)


def test_admin_uploads_on_the_edit_page(client, cast, login):
    member = cast.member["B1m2"]
    login(cast.user["branch_admin"])
    edit = client.get(reverse("members:edit", args=[member.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in edit
    before = AuditEntry.objects.count()
    response = client.post(
        reverse("members:photo_upload", args=[member.pk]), {"photo": photo_file()}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.photo.content_type == "image/jpeg"
    assert b"Canon" not in uploads.path_of(member.photo).read_bytes()
    entry = AuditEntry.objects.latest("id")
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.after["photo"]) == ("member.photo", member.photo.sha256)
    detail = client.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert reverse("members:photo", args=[member.pk]) in detail


def test_bad_upload_on_the_page_is_a_message(client, cast, login):
    member = cast.member["B1m2"]
    login(cast.user["branch_admin"])
    before = (StoredFile.objects.count(), AuditEntry.objects.count())
    response = client.post(
        reverse("members:photo_upload", args=[member.pk]),
        {"photo": photo_file(b"<html><script>alert(1)</script>", "x.png")},
        follow=True,
    )
    assert uploads.MSG_NOT_IMAGE in response.content.decode()
    assert (StoredFile.objects.count(), AuditEntry.objects.count()) == before
    member.refresh_from_db()
    assert member.photo_id is None


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_photo_url_follows_the_member_scope(client, cast, login, with_photo, user_key):
    login(cast.user[user_key])
    response = client.get(reverse("members:photo", args=[with_photo.pk]))
    if not sees_member(user_key, "B1m2"):
        assert response.status_code == 404
        return
    if user_key == "member":  # a fellow member of B1: name, group and posts only
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_api_photo_follows_the_member_scope(client, cast, bearer, with_photo, user_key):
    headers = bearer(cast.user[user_key])
    response = client.get(f"/api/v1/members/{with_photo.pk}/photo", **headers)
    if not sees_member(user_key, "B1m2"):
        assert response.status_code == 404
    else:  # a fellow member of B1 sees name, group and posts only
        assert response.status_code == (403 if user_key == "member" else 200)
    before = (StoredFile.objects.count(), AuditEntry.objects.count())
    response = client.post(
        f"/api/v1/members/{with_photo.pk}/photo", {"photo": photo_file()}, **headers
    )
    if not sees_member(user_key, "B1m2"):
        assert response.status_code == 404
    elif not changes_org(user_key, "B1"):
        assert response.status_code == 403
    else:
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["content_type"] == "image/jpeg" and len(body["sha256"]) == 64
        assert StoredFile.objects.count() == before[0] + 1
        return
    assert (StoredFile.objects.count(), AuditEntry.objects.count()) == before


def test_no_photo_is_404(client, cast, bearer):
    response = client.get(
        f"/api/v1/members/{cast.member['B1m1'].pk}/photo", **bearer(cast.user["root"])
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MZ\x90\x00" + b"\x00" * 100, uploads.MSG_NOT_IMAGE),
        (b"", uploads.MSG_EMPTY),
    ],
)
def test_api_refuses_bad_files_with_a_field_error(client, cast, bearer, data, message):
    headers = bearer(cast.user["county_admin"])
    before = (StoredFile.objects.count(), AuditEntry.objects.count())
    response = client.post(
        f"/api/v1/members/{cast.member['B1m1'].pk}/photo",
        {"photo": photo_file(data, "evil.jpg")},
        **headers,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "photo"]
    assert response.json()["detail"][0]["msg"] == message
    assert (StoredFile.objects.count(), AuditEntry.objects.count()) == before


def test_api_missing_file_is_422(client, cast, bearer):
    response = client.post(
        f"/api/v1/members/{cast.member['B1m1'].pk}/photo", {}, **bearer(cast.user["root"])
    )
    assert response.status_code == 422


def test_oversized_upload_is_refused(client, cast, bearer, settings):
    settings.UPLOAD_IMAGE_MAX_BYTES = 500
    response = client.post(
        f"/api/v1/members/{cast.member['B1m1'].pk}/photo",
        {"photo": photo_file(jpeg((300, 300)))},
        **bearer(cast.user["root"]),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith("文件过大")


def test_request_above_the_hard_cap_is_413_before_reading(client, cast, bearer, settings):
    settings.MAX_REQUEST_BYTES = 10_000
    response = client.post(
        f"/api/v1/members/{cast.member['B1m1'].pk}/photo",
        {"photo": photo_file(b"\xff" * 20_000)},
        **bearer(cast.user["root"]),
    )
    assert response.status_code == 413
    assert response.json()["detail"].startswith("请求过大")
