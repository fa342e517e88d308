"""Uploaded files (拿不走 / 传不坏): stored outside the web root, typed by content, re-encoded.

- **Where**: ``settings.UPLOAD_DIR`` (``var/uploads``), never under STATIC_ROOT, and there
  is no MEDIA_URL: a file is reachable only through a view that first fetches the object
  it belongs to through a scoped selector (out of scope → 404), then answers with
  :func:`file_response` (``Content-Disposition``, ``X-Content-Type-Options: nosniff``,
  the type we sniffed, a sandboxing CSP).
- **Names**: on disk a file is ``<uuid hex>.<ext>`` from a random UUID; the client's name
  is kept only as sanitised metadata (:func:`sanitise_name`), never used in a path.
- **Type**: sniffed from the content — Pillow decides what an image is, a signature
  table recognises PDF; the extension and the client's Content-Type are ignored.
- **Images are re-encoded**: size-limited, a pixel-count guard before decoding
  (decompression bombs), EXIF orientation applied then all metadata dropped, scaled to
  ``UPLOAD_IMAGE_MAX_SIDE`` and saved as JPEG (or PNG when it has transparency). Only
  the new pixels are stored, so a polyglot (a GIF/JPEG that is also HTML/JS, a PNG with
  a PHP payload appended) loses its payload.
- **Requests**: :class:`RequestSizeLimitMiddleware` answers 413 to any body larger than
  ``MAX_REQUEST_BYTES`` before it is read.
"""

import hashlib
import io
import os
import re
import unicodedata
import uuid
import warnings
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse

from dangjian.core.secrets import private_dir

MSG_EMPTY = "请选择要上传的文件"
MSG_TOO_LARGE = "文件过大：不能超过 {limit}"
MSG_NOT_IMAGE = "文件不是有效的图片（支持 JPEG、PNG、GIF、WebP），请重新选择"
MSG_TOO_MANY_PIXELS = "图片尺寸过大（不能超过 {limit} 万像素），请缩小后再上传"
MSG_NOT_PDF = "文件不是有效的 PDF 文档"
MSG_REQUEST_TOO_LARGE = "请求过大：不能超过 {limit}"

IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
# Content signatures of non-image types we accept somewhere (images: Pillow decides).
SIGNATURES = {b"%PDF-": "application/pdf"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
NAME_MAX = 100
# Characters never kept in a file name: path separators, controls, bidi overrides.
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def human_size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def sanitise_name(name: str | None) -> str:
    """A display name from whatever the client sent: last path part, no controls,
    no separators, no bidi overrides, at most NAME_MAX characters, never empty."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = _BAD_NAME.sub("", name).strip(" .")
    if len(name) > NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: NAME_MAX - len(ext) - 1] + "." + ext
        else:
            name = name[:NAME_MAX]
    return name or "file"


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are (None when unknown)."""
    for signature, content_type in SIGNATURES.items():
        if data.startswith(signature):
            return content_type
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as image:
            return Image.MIME.get(image.format)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None


def read_limited(upload, limit: int, *, field: str) -> bytes:
    """The upload's bytes, refusing (without reading on) anything over ``limit``."""
    if upload is None:
        raise ValidationError({field: MSG_EMPTY})
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError({field: MSG_TOO_LARGE.format(limit=human_size(limit))})
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({field: MSG_TOO_LARGE.format(limit=human_size(limit))})
    if not data:
        raise ValidationError({field: MSG_EMPTY})
    return data


def reencode_image(data: bytes, *, field: str) -> tuple[bytes, str, int, int]:
    """Decode an image (after the bomb guard) and encode its pixels afresh.

    Returns ``(bytes, content type, width, height)``. Anything Pillow will not read as
    one of IMAGE_FORMATS, or whose header claims too many pixels, is a ValidationError.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    max_pixels = settings.UPLOAD_IMAGE_MAX_PIXELS
    too_many = ValidationError({field: MSG_TOO_MANY_PIXELS.format(limit=max_pixels // 10_000)})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as image:
                width, height = image.size
                if width * height > max_pixels or width <= 0 or height <= 0:
                    raise too_many
                image.seek(0)  # first frame of an animation
                image.load()
                image = ImageOps.exif_transpose(image)
                has_alpha = image.mode in ("RGBA", "LA", "PA") or (
                    image.mode == "P" and "transparency" in image.info
                )
                image = image.convert("RGBA" if has_alpha else "RGB")
                side = settings.UPLOAD_IMAGE_MAX_SIDE
                image.thumbnail((side, side))
                # Only the pixels go on: a fresh image carries no info (EXIF, ICC, comments,
                # text chunks) that an encoder could copy into the output.
                image = Image.frombytes(image.mode, image.size, image.tobytes())
                out = io.BytesIO()
                if has_alpha:
                    image.save(out, format="PNG", optimize=True)
                    content_type = "image/png"
                else:
                    image.save(out, format="JPEG", quality=85, optimize=True)
                    content_type = "image/jpeg"
                return out.getvalue(), content_type, image.width, image.height
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, TypeError):
        raise ValidationError({field: MSG_NOT_IMAGE}) from None


def upload_root() -> Path:
    return Path(settings.UPLOAD_DIR).resolve()


def path_of(stored) -> Path:
    """Where a stored file lives: computed from its UUID only, always under UPLOAD_DIR."""
    key = uuid.UUID(str(stored.key)).hex
    ext = EXTENSIONS.get(stored.content_type, "bin")
    path = (upload_root() / key[:2] / f"{key}.{ext}").resolve()
    if upload_root() not in path.parents:  # cannot happen with a UUID; belt and braces
        raise Http404("未找到")
    return path


def _write(path: Path, data: bytes) -> None:
    """Write once, atomically, readable by the service user only (the root and its
    fan-out directories 0700: ``mkdir(parents=True)`` would leave a new root 0755)."""
    private_dir(upload_root())
    path.parent.mkdir(exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def store_bytes(
    *,
    data: bytes,
    content_type: str,
    original_name: str,
    purpose: str,
    uploaded_by=None,
    width=None,
    height=None,
):
    """Save ``data`` (already checked) under a fresh UUID and record it.

    Call inside the caller's transaction; if it rolls back, :func:`discard` the file.
    """
    from dangjian.core.models import StoredFile

    stored = StoredFile(
        key=uuid.uuid4(),
        original_name=sanitise_name(original_name),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        purpose=purpose,
        uploaded_by=uploaded_by if getattr(uploaded_by, "is_authenticated", False) else None,
        width=width,
        height=height,
    )
    stored.full_clean()
    _write(path_of(stored), data)
    stored.save()
    return stored


def store_image(upload, *, purpose: str, uploaded_by=None, field: str = "file"):
    """Check, re-encode and store an uploaded image; ValidationError on ``field`` if not."""
    data = read_limited(upload, settings.UPLOAD_IMAGE_MAX_BYTES, field=field)
    encoded, content_type, width, height = reencode_image(data, field=field)
    stem = sanitise_name(getattr(upload, "name", "")).rsplit(".", 1)[0]
    return store_bytes(
        data=encoded,
        content_type=content_type,
        original_name=f"{stem}.{EXTENSIONS[content_type]}",
        purpose=purpose,
        uploaded_by=uploaded_by,
        width=width,
        height=height,
    )


def store_pdf(
    upload,
    *,
    purpose: str,
    uploaded_by=None,
    field: str = "file",
    limit: int | None = None,
):
    """Store an uploaded PDF as is (served as an attachment, never inline)."""
    data = read_limited(upload, limit or settings.UPLOAD_IMAGE_MAX_BYTES, field=field)
    if sniff(data) != "application/pdf":
        raise ValidationError({field: MSG_NOT_PDF})
    return store_bytes(
        data=data,
        content_type="application/pdf",
        original_name=getattr(upload, "name", "") or "document.pdf",
        purpose=purpose,
        uploaded_by=uploaded_by,
    )


def discard(stored) -> None:
    """Remove a stored file's bytes (after a rolled-back write)."""
    path_of(stored).unlink(missing_ok=True)


def file_response(stored, *, inline: bool | None = None) -> FileResponse:
    """The file, for a caller that has already checked the object's scope."""
    if stored is None:
        raise Http404("未找到")
    path = path_of(stored)
    if not path.is_file():
        raise Http404("未找到")
    if inline is None:
        inline = stored.content_type.startswith("image/")
    response = FileResponse(
        path.open("rb"),
        as_attachment=not inline,
        filename=stored.original_name,
        content_type=stored.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    response["ETag"] = f'"{stored.sha256}"'
    return response


class RequestSizeLimitMiddleware:
    """413 for a request whose declared body exceeds ``settings.MAX_REQUEST_BYTES``,
    before anything reads it (JSON under /api/, text elsewhere)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BYTES
        if length > limit:
            message = MSG_REQUEST_TOO_LARGE.format(limit=human_size(limit))
            if request.path.startswith("/api/"):
                response = JsonResponse({"detail": message}, status=413)
            else:
                response = HttpResponse(
                    message, status=413, content_type="text/plain; charset=utf-8"
                )
            return response
        return self.get_response(request)
