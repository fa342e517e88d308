"""政策解读: the column of policy explanations editors write and publish.

An article belongs to the organisation whose editors (``Perm.EDIT_KB``) write it; it is a
draft until published, read by every logged-in user from its publish date, and can be
withdrawn (then back to the editors only) and published again. Every write is validated,
transactional and audited; an edit changing nothing writes nothing.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from dangjian.core import audit, scope
from dangjian.core.errors import raise_if
from dangjian.core.scope import Perm
from dangjian.core.services import check_editable, model_update
from dangjian.core.text import name_or_error
from dangjian.knowledge.models import PolicyArticle, PolicyStatus

TITLE_MIN, TITLE_MAX = 4, 120
BODY_MAX = 50_000
EDITABLE = frozenset({"title", "summary", "body", "source", "publish_date"})
FIELDS = ("title", "summary", "body", "source", "publish_date", "status")

MSG_TITLE_SHORT = f"标题不能少于{TITLE_MIN}个字"
MSG_BODY = "请填写正文"
MSG_BODY_LONG = f"正文不能超过{BODY_MAX}个字"
MSG_DATE = "请填写发布日期"
MSG_ALREADY = "文章已是“{status}”状态"
MSG_NOT_EDITOR = "您没有权限修改该文章"


def _snapshot(article: PolicyArticle) -> dict:
    return audit.snapshot(article, FIELDS)


def _clean(article: PolicyArticle) -> None:
    errors: dict[str, str] = {}
    article.title, problem = name_or_error(article.title, field_label="标题", blank=True)
    if problem:
        errors["title"] = problem
    elif len(article.title) < TITLE_MIN:
        errors["title"] = MSG_TITLE_SHORT
    article.summary = " ".join((article.summary or "").split())
    article.source = " ".join((article.source or "").split())
    article.body = (article.body or "").strip()
    if not article.body:
        errors["body"] = MSG_BODY
    elif len(article.body) > BODY_MAX:
        errors["body"] = MSG_BODY_LONG
    if article.publish_date is None:
        errors["publish_date"] = MSG_DATE
    try:
        article.full_clean(exclude=["org", "created_by", *errors], validate_unique=False)
    except Exception as exc:  # ValidationError: the field rules (lengths) in Chinese
        for name, messages in getattr(exc, "message_dict", {}).items():
            errors.setdefault(name, messages[0])
    raise_if(errors)


def _authorize_org(user, org) -> None:
    scope.authorize(user, Perm.EDIT_KB, org.path, view_perm=Perm.VIEW_ORG)


def _authorize_article(user, article: PolicyArticle) -> None:
    """Editors over its organisation; others: 403 for a published article, else 404."""
    if scope.covers(user, Perm.EDIT_KB, article.org.path):
        return
    if article.status == PolicyStatus.PUBLISHED:
        raise PermissionDenied(MSG_NOT_EDITOR)
    raise Http404("未找到")


@transaction.atomic
def article_create(
    *,
    acting_user,
    org,
    title: str,
    body: str,
    summary: str = "",
    source: str = "",
    publish_date: dt.date | None = None,
    ip: str | None = None,
) -> PolicyArticle:
    """A draft article of ``org``, by an editor over it."""
    _authorize_org(acting_user, org)
    article = PolicyArticle(
        org=org,
        title=title,
        summary=summary,
        body=body,
        source=source,
        publish_date=publish_date or timezone.localdate(),
        created_by=acting_user,
    )
    _clean(article)
    article.save()
    audit.record(
        actor=acting_user,
        action="kb.policy.create",
        obj=article,
        org=org,
        after=_snapshot(article),
        ip=ip,
    )
    return article


@transaction.atomic
def article_update(*, acting_user, article: PolicyArticle, ip: str | None = None, **changes):
    """Edit the given fields (a published article changes at once). Returns the article."""
    _authorize_article(acting_user, article)
    check_editable(changes, EDITABLE)
    locked = PolicyArticle.objects.select_for_update().get(pk=article.pk)
    model_update(
        acting_user=acting_user,
        instance=locked,
        changes=changes,
        snapshot=_snapshot,
        action="kb.policy.update",
        org=lambda: locked.org,
        validate=lambda: _clean(locked),
        ip=ip,
    )
    return locked


def _set_status(acting_user, article: PolicyArticle, status: str, action: str, ip) -> PolicyArticle:
    _authorize_article(acting_user, article)
    locked = PolicyArticle.objects.select_for_update().get(pk=article.pk)
    if locked.status == status:
        raise_if({"status": MSG_ALREADY.format(status=PolicyStatus(status).label)})
    before = _snapshot(locked)
    locked.status = status
    if status == PolicyStatus.PUBLISHED:
        locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_at", "updated_at"])
    audit.record(
        actor=acting_user,
        action=f"kb.policy.{action}",
        obj=locked,
        org=locked.org,
        before=before,
        after=_snapshot(locked),
        ip=ip,
    )
    return locked


@transaction.atomic
def article_publish(*, acting_user, article: PolicyArticle, ip: str | None = None):
    """Members read it from its publish date (today or a later day chosen in advance)."""
    return _set_status(acting_user, article, PolicyStatus.PUBLISHED, "publish", ip)


@transaction.atomic
def article_withdraw(*, acting_user, article: PolicyArticle, ip: str | None = None):
    """No longer shown to members; kept, and may be published again."""
    return _set_status(acting_user, article, PolicyStatus.WITHDRAWN, "withdraw", ip)
