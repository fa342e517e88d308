"""Resolutions put to a meeting and the votes on them."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.errors import raise_if
from dangjian.core.retry import retry_conflicts
from dangjian.core.text import name_or_error
from dangjian.orglife import rules
from dangjian.orglife.choices import MeetingStatus, ResolutionStatus, VoteChoice
from dangjian.orglife.models import Meeting, Resolution, Vote
from dangjian.orglife.services.attendance import _attendance_of
from dangjian.orglife.services.common import (
    MSG_CANCELLED,
    MSG_TOPIC_LONG,
    _lock,
    _require_recorder,
    _require_visible,
)

MSG_RESOLUTION_TITLE = "请填写表决事项"
MSG_RESOLUTION_CLOSED = "该事项表决已结束"
MSG_NO_VOTE_RIGHT = "您没有表决权（预备党员没有表决权）"
MSG_ALREADY_VOTED = "您已表决，每人只能表决一次"
MSG_BAD_CHOICE = "表决意见应为赞成、反对或弃权"


@retry_conflicts
@transaction.atomic
def resolution_add(
    *, acting_user, meeting: Meeting, title: str, text: str = "", ip: str | None = None
) -> Resolution:
    """Put a matter to the vote (表决事项)."""
    _require_recorder(acting_user, meeting)
    meeting = _lock(meeting)
    title, problem = name_or_error(
        title, field_label="表决事项", blank_message=MSG_RESOLUTION_TITLE
    )
    errors = {}
    if meeting.status == MeetingStatus.CANCELLED:
        errors["meeting"] = MSG_CANCELLED
    if problem:
        errors["title"] = problem
    elif len(title) > 120:
        errors["title"] = MSG_TOPIC_LONG.replace("会议主题", "表决事项")
    raise_if(errors)
    resolution = Resolution.objects.create(meeting=meeting, title=title, text=(text or "").strip())
    audit.record(
        actor=acting_user,
        action="orglife.resolution.add",
        obj=resolution,
        org=meeting.branch,
        after={"meeting": meeting.pk, "title": title},
        ip=ip,
    )
    return resolution


@retry_conflicts
@transaction.atomic
def resolution_vote(
    *, acting_user, resolution: Resolution, choice: str, ip: str | None = None
) -> Vote:
    """One vote per member with voting rights on the roster; never changed once cast."""
    meeting = resolution.meeting
    _require_visible(acting_user, meeting)
    resolution = Resolution.objects.select_for_update(no_key=True).get(pk=resolution.pk)
    attendance = _attendance_of(acting_user, meeting)
    errors = {}
    if choice not in VoteChoice.values:
        errors["choice"] = MSG_BAD_CHOICE
    if resolution.status != ResolutionStatus.OPEN or meeting.status == MeetingStatus.CANCELLED:
        errors["resolution"] = MSG_RESOLUTION_CLOSED
    elif not attendance.voting:
        errors["resolution"] = MSG_NO_VOTE_RIGHT
    elif Vote.objects.filter(resolution=resolution, member_id=attendance.member_id).exists():
        errors["resolution"] = MSG_ALREADY_VOTED
    raise_if(errors)
    try:
        with transaction.atomic():
            vote = Vote.objects.create(
                resolution=resolution, member_id=attendance.member_id, choice=choice
            )
    except IntegrityError:  # a concurrent second vote by the same member
        raise ValidationError({"resolution": MSG_ALREADY_VOTED}) from None
    counter = f"votes_{choice}"
    Resolution.objects.filter(pk=resolution.pk).update(**{counter: F(counter) + 1})
    audit.record(
        actor=acting_user,
        action="orglife.vote",
        obj=resolution,
        org=meeting.branch,
        after={"choice": choice},
        ip=ip,
    )
    return vote


@retry_conflicts
@transaction.atomic
def resolution_close(
    *, acting_user, resolution: Resolution, now: dt.datetime | None = None, ip: str | None = None
) -> Resolution:
    """Close the vote and tally: passed when more than half of those with voting rights
    on the roster voted for it."""
    meeting = resolution.meeting
    _require_recorder(acting_user, meeting)
    resolution = Resolution.objects.select_for_update(no_key=True).get(pk=resolution.pk)
    raise_if(
        {"resolution": MSG_RESOLUTION_CLOSED} if resolution.status != ResolutionStatus.OPEN else {}
    )
    resolution.eligible = meeting.attendances.filter(voting=True).count()
    passed = rules.resolution_passes(resolution.votes_for, resolution.eligible)
    resolution.status = ResolutionStatus.PASSED if passed else ResolutionStatus.REJECTED
    resolution.closed_at = now or timezone.now()
    resolution.save(update_fields=["eligible", "status", "closed_at", "updated_at"])
    audit.record(
        actor=acting_user,
        action="orglife.resolution.close",
        obj=resolution,
        org=meeting.branch,
        after={
            "status": resolution.status,
            "for": resolution.votes_for,
            "against": resolution.votes_against,
            "abstain": resolution.votes_abstain,
            "eligible": resolution.eligible,
        },
        ip=ip,
    )
    return resolution
