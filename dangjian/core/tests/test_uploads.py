"""Uploads: random names outside the web root, type by content, images re-encoded."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dangjian.core import uploads

pytestmark = pytest.mark.django_db


def image_bytes(fmt="JPEG", size=(64, 48), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else 0).save(out, format=fmt, **save)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "EOS SECRET"  # Model
    exif[0x0131] = "GPS-Tracker 1.0"  # Software
    exif[0x0112] = 6  # Orientation: rotate 90° on display
    return image_bytes(size=(80, 40), exif=exif.tobytes())


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def store(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return uploads.store_image(upload(data, name, content_type), purpose="test", field="photo")


def refusal(data: bytes, name="photo.jpg", content_type="image/jpeg") -> str:
    with pytest.raises(ValidationError) as info:
        store(data, name, content_type)
    return info.value.message_dict["photo"][0]


def stored_bytes(stored) -> bytes:
    return uploads.path_of(stored).read_bytes()


def test_stored_outside_the_web_root_under_a_random_name():
    stored = store(image_bytes(), name="我的照片.jpg")
    path = uploads.path_of(stored)
    assert path.is_file()
    assert Path(settings.UPLOAD_DIR).resolve() in path.parents
    assert Path(settings.STATIC_ROOT).resolve() not in path.parents
    assert path.name == f"{stored.key.hex}.jpg"
    assert "我的照片" not in str(path)
    assert stored.original_name == "我的照片.jpg"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not hasattr(settings, "MEDIA_ROOT") or not settings.MEDIA_ROOT


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\x.jpg", "x.jpg"),
        ("a\x00b.jpg", "ab.jpg"),
        ("/abs/path/.htaccess", "htaccess"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("..", "file"),
        ("", "file"),
        ("x" * 300 + ".jpg", "x" * 96 + ".jpg"),
    ],
)
def test_sanitise_name(name, expected):
    assert uploads.sanitise_name(name) == expected


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\x", "a\x00.jpg", "/etc/shadow"])
def test_traversal_names_never_reach_the_disk(name):
    stored = store(image_bytes(), name=name)
    path = uploads.path_of(stored)
    assert Path(settings.UPLOAD_DIR).resolve() in path.parents
    assert "/" not in stored.original_name and "\\" not in stored.original_name
    assert "\x00" not in stored.original_name
    assert not Path("/etc/passwd.jpg").exists()


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "setup.jpg", "image/jpeg"),
        (b"<html><script>alert(1)</script></html>", "page.png", "image/png"),
        (b"<?php system($_GET['c']); ?>", "shell.gif", "image/gif"),
        (b"%PDF-1.7\n1 0 obj\n", "doc.jpg", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken.png", "image/png"),  # header only
        (image_bytes("BMP"), "bitmap.jpg", "image/jpeg"),  # a format we do not take
    ],
)
def test_wrong_types_are_refused(data, name, content_type):
    assert refusal(data, name, content_type) == uploads.MSG_NOT_IMAGE


def test_type_comes_from_content_not_name():
    stored = store(image_bytes("PNG", mode="RGBA"), name="photo.jpg", content_type="image/jpeg")
    assert stored.content_type == "image/png"  # it had transparency: kept as PNG
    assert stored_bytes(stored).startswith(b"\x89PNG")
    stored = store(image_bytes("GIF", mode="L"), name="x.png", content_type="image/png")
    assert stored.content_type == "image/jpeg"
    assert stored_bytes(stored).startswith(b"\xff\xd8\xff")


def test_sniff():
    assert uploads.sniff(image_bytes("PNG")) == "image/png"
    assert uploads.sniff(image_bytes("JPEG")) == "image/jpeg"
    assert uploads.sniff(b"%PDF-1.4 ...") == "application/pdf"
    assert uploads.sniff(b"<html>") is None


PAYLOADS = [b"<script>alert(document.cookie)</script>", b"<?php system($_GET['c']); ?>"]


@pytest.mark.parametrize(
    "polyglot",
    [
        image_bytes("GIF", mode="L") + PAYLOADS[0],  # GIF followed by HTML/JS
        image_bytes("PNG") + PAYLOADS[1],  # PHP appended after IEND
        image_bytes("JPEG", comment=PAYLOADS[0]),  # HTML in a JPEG comment
        image_bytes("JPEG") + PAYLOADS[0] + PAYLOADS[1],
    ],
)
def test_polyglots_lose_their_payload(polyglot):
    stored = store(polyglot)
    data = stored_bytes(stored)
    for payload in PAYLOADS:
        assert payload not in data
    assert b"<script" not in data and b"<?php" not in data
    assert stored.content_type == "image/jpeg"
    Image.open(io.BytesIO(data)).verify()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_text(payload: bytes) -> bytes:
    """A PNG carrying an HTML payload in a tEXt chunk."""
    data = image_bytes("PNG")
    return data[:33] + _png_chunk(b"tEXt", b"Comment\x00" + payload) + data[33:]


def test_png_text_chunks_are_dropped():
    stored = store(png_text(PAYLOADS[0]))
    assert PAYLOADS[0] not in stored_bytes(stored)


def test_exif_is_stripped_and_orientation_applied():
    stored = store(jpeg_with_exif())
    data = stored_bytes(stored)
    for secret in (b"Canon", b"EOS SECRET", b"GPS-Tracker", b"Exif"):
        assert secret not in data
    image = Image.open(io.BytesIO(data))
    assert not image.getexif()
    assert image.size == (40, 80)  # the orientation tag was applied before it was dropped
    assert (stored.width, stored.height) == (40, 80)


def test_large_images_are_scaled_down(settings):
    settings.UPLOAD_IMAGE_MAX_SIDE = 100
    stored = store(image_bytes(size=(400, 200)))
    assert (stored.width, stored.height) == (100, 50)


def test_oversized_file_is_refused(settings):
    settings.UPLOAD_IMAGE_MAX_BYTES = 1000
    message = refusal(image_bytes(size=(400, 400), quality=100))
    assert message == uploads.MSG_TOO_LARGE.format(limit="0 KB") or message.startswith("文件过大")


def test_empty_file_is_refused():
    assert refusal(b"") == uploads.MSG_EMPTY


def test_pixel_bomb_is_refused_before_decoding():
    """A 10000×10000 PNG is a few KB on the wire and 100 million pixels when decoded."""
    bomb = image_bytes("PNG", size=(10_000, 10_000), mode="1")
    assert len(bomb) < 100_000
    assert refusal(bomb, name="bomb.png") == uploads.MSG_TOO_MANY_PIXELS.format(limit=4000)


def test_pixel_guard_follows_the_setting(settings):
    settings.UPLOAD_IMAGE_MAX_PIXELS = 100 * 100
    assert refusal(image_bytes(size=(101, 100))).startswith("图片尺寸过大")
    store(image_bytes(size=(100, 100)))


def test_pdf_signature_table():
    stored = uploads.store_pdf(
        upload(b"%PDF-1.4\n%%EOF", "报告.pdf", "application/pdf"), purpose="t"
    )
    assert stored.content_type == "application/pdf"
    with pytest.raises(ValidationError):
        uploads.store_pdf(upload(b"<html>", "x.pdf", "application/pdf"), purpose="t")


def test_file_response_headers():
    stored = store(image_bytes(), name='a"b;.jpg')
    response = uploads.file_response(stored)
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == stored_bytes(stored)
