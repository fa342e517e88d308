"""Comments on a meeting and its photos."""

from django.db import transaction

from dangjian.core import audit
from dangjian.core.errors import raise_if
from dangjian.core.retry import retry_conflicts
from dangjian.core.text import one_line
from dangjian.orglife.choices import MeetingStatus
from dangjian.orglife.models import Comment, Meeting, MeetingPhoto
from dangjian.orglife.services.common import (
    MSG_CANCELLED,
    _lock,
    _require_recorder,
    _require_visible,
)

MSG_COMMENT = "请填写留言内容"
MSG_COMMENT_LONG = "留言不能超过1000字"
MSG_TOO_MANY_PHOTOS = "每次会议最多上传{limit}张照片"
COMMENT_MAX = 1000
PHOTOS_MAX = 30


@retry_conflicts
@transaction.atomic
def comment_add(*, acting_user, meeting: Meeting, text: str, ip: str | None = None) -> Comment:
    """A remark on the meeting by anyone who may see it (online participants above all)."""
    _require_visible(acting_user, meeting)
    text = (text or "").strip()
    errors = {}
    if meeting.status == MeetingStatus.CANCELLED:
        errors["meeting"] = MSG_CANCELLED
    if not text:
        errors["text"] = MSG_COMMENT
    elif len(text) > COMMENT_MAX:
        errors["text"] = MSG_COMMENT_LONG
    raise_if(errors)
    comment = Comment.objects.create(meeting=meeting, author=acting_user, text=text)
    audit.record(
        actor=acting_user,
        action="orglife.comment",
        obj=comment,
        org=meeting.branch,
        after={"meeting": meeting.pk, "chars": len(text)},
        ip=ip,
    )
    return comment


PHOTO_PURPOSE = "orglife.photo"


@retry_conflicts
def photo_add(
    *, acting_user, meeting: Meeting, upload, caption: str = "", ip: str | None = None
) -> MeetingPhoto:
    """Attach a photo (现场照片): checked and re-encoded by ``core.uploads``; the bytes
    are removed again if the write does not commit."""
    from dangjian.core import uploads

    _require_recorder(acting_user, meeting)
    stored = None
    try:
        with transaction.atomic():
            locked = _lock(meeting)
            errors = {}
            if locked.status == MeetingStatus.CANCELLED:
                errors["meeting"] = MSG_CANCELLED
            elif locked.photos.count() >= PHOTOS_MAX:
                errors["photo"] = MSG_TOO_MANY_PHOTOS.format(limit=PHOTOS_MAX)
            raise_if(errors)
            stored = uploads.store_image(
                upload,
                purpose=PHOTO_PURPOSE,
                uploaded_by=acting_user,
                field="photo",
            )
            photo = MeetingPhoto.objects.create(
                meeting=locked,
                file=stored,
                caption=one_line(caption)[:120],
                uploaded_by=acting_user,
            )
            audit.record(
                actor=acting_user,
                action="orglife.photo",
                obj=photo,
                org=locked.branch,
                after={"meeting": locked.pk, "sha256": stored.sha256, "size": stored.size},
                ip=ip,
            )
    except BaseException:
        if stored is not None:
            uploads.discard(stored)
        raise
    return photo
