"""Every write to the knowledge base (the bot is ``services.bot``).

Entry writes are validated, transactional, audited and versioned; those that change
what the bot may answer (publish, retire, editing a published entry, an import that
publishes) stamp the entries with a new index generation in the same transaction, and
every process's live index picks them up within a second (``dangjian.knowledge.index``).
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.errors import raise_if
from dangjian.core.scope import Perm, authorize, covers
from dangjian.core.text import MSG_INVISIBLE, invisible_characters, name_or_error, normalize_name
from dangjian.knowledge.models import (
    Entry,
    EntryKind,
    EntryStatus,
    EntryTier,
    EntryVersion,
    KbGeneration,
)

QUESTION_MIN, QUESTION_MAX = 2, 200
ANSWER_MAX = 20_000
ALTERNATIVES_MAX, TAGS_MAX, TAG_LEN = 30, 20, 20

MSG_QUESTION_SHORT = f"问题不能少于{QUESTION_MIN}个字"
MSG_QUESTION_LONG = f"问题不能超过{QUESTION_MAX}个字"
MSG_ANSWER_EMPTY = "请填写答案"
MSG_ANSWER_LONG = f"答案不能超过{ANSWER_MAX}个字"
MSG_ALTERNATIVES = f"相似问法最多{ALTERNATIVES_MAX}条，每条不超过{QUESTION_MAX}个字"
MSG_TAGS = f"标签最多{TAGS_MAX}个，每个不超过{TAG_LEN}个字"
MSG_VALID_RANGE = "失效日期不能早于生效日期"
MSG_DUPLICATE = "本组织已有相同的问题（条目 {id}），请修改该条目"
MSG_KIND = "类型无效"
MSG_ALREADY = "条目已是“{status}”状态"
MSG_EXPIRED = "条目已过失效日期，不能发布"
MSG_RETIRED_EDIT = "已停用的条目不能修改，请先恢复为草稿"
MSG_NOT_EDITOR = "您没有权限修改该条目"

FIELDS = (
    "kind",
    "question",
    "answer",
    "alternatives",
    "category",
    "tags",
    "source",
    "office",
    "valid_from",
    "valid_until",
    "status",
)
EDITABLE = frozenset(FIELDS) - {"status", "kind"}
# The answer is indexed too: the bot's domain stage matches questions against it.
INDEXED = frozenset(
    {"question", "answer", "alternatives", "category", "tags", "valid_from", "valid_until"}
)


def _today() -> dt.date:
    return timezone.localdate()


# --- Validation


FIELD_LABELS = {"alternatives": "相似问法", "tags": "标签"}


def _clean_list(values, *, limit: int, length: int, field_name: str, errors: dict) -> list[str]:
    """Stripped, de-duplicated, non-empty strings (order kept); too many or too long → error."""
    if isinstance(values, str):
        values = [values]
    cleaned: list[str] = []
    for value in values or ():
        text = normalize_name(str(value))
        if invisible_characters(text):
            errors[field_name] = MSG_INVISIBLE.format(label=FIELD_LABELS[field_name])
            continue
        text = " ".join(text.split())
        if text and text not in cleaned:
            cleaned.append(text)
    if len(cleaned) > limit or any(len(v) > length for v in cleaned):
        errors[field_name] = MSG_ALTERNATIVES if field_name == "alternatives" else MSG_TAGS
    return cleaned


def _clean(entry: Entry, errors: dict[str, str]) -> None:
    """Normalise the entry's text fields in place and collect every rule it breaks."""
    entry.question, problem = name_or_error(entry.question, field_label="标准问题", blank=True)
    entry.answer = (entry.answer or "").strip()
    if problem:
        errors["question"] = problem
    elif len(entry.question) < QUESTION_MIN:
        errors["question"] = MSG_QUESTION_SHORT
    elif len(entry.question) > QUESTION_MAX:
        errors["question"] = MSG_QUESTION_LONG
    if not entry.answer:
        errors["answer"] = MSG_ANSWER_EMPTY
    elif len(entry.answer) > ANSWER_MAX:
        errors["answer"] = MSG_ANSWER_LONG
    alternatives = _clean_list(
        entry.alternatives,
        limit=ALTERNATIVES_MAX,
        length=QUESTION_MAX,
        field_name="alternatives",
        errors=errors,
    )
    entry.alternatives = [a for a in alternatives if a != entry.question]
    entry.tags = _clean_list(
        entry.tags, limit=TAGS_MAX, length=TAG_LEN, field_name="tags", errors=errors
    )
    for name in ("category", "source", "office"):
        setattr(entry, name, " ".join((getattr(entry, name) or "").split()))
    if entry.kind not in EntryKind.values:
        errors["kind"] = MSG_KIND
    if entry.valid_from and entry.valid_until and entry.valid_until < entry.valid_from:
        errors["valid_until"] = MSG_VALID_RANGE
    try:
        entry.full_clean(
            exclude=["org", "created_by", *errors],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages[0])


def _duplicate_of(entry: Entry) -> Entry | None:
    """Another live (draft or published) entry of the same organisation, same question."""
    return (
        Entry.objects.filter(org_id=entry.org_id, question=entry.question)
        .exclude(status=EntryStatus.RETIRED)
        .exclude(pk=entry.pk)
        .first()
    )


def entry_clean(entry: Entry, errors: dict[str, str]) -> None:
    """Normalise an unsaved entry in place and collect the rules it breaks (no database
    look-up: the caller checks duplicates its own way, as the bank import does)."""
    _clean(entry, errors)


def _validate(entry: Entry) -> None:
    errors: dict[str, str] = {}
    _clean(entry, errors)
    if "question" not in errors and (other := _duplicate_of(entry)) is not None:
        errors["question"] = MSG_DUPLICATE.format(id=other.pk)
    raise_if(errors)


# --- Versions and the index generation


def _data(entry: Entry) -> dict:
    return audit.snapshot(entry, FIELDS)


def entry_data(entry: Entry) -> dict:
    """The entry's fields as a version row and the audit log store them."""
    return _data(entry)


def _version(entry: Entry, *, action: str, author) -> EntryVersion:
    author = author if getattr(author, "is_authenticated", False) else None
    return EntryVersion.objects.create(
        entry=entry, number=entry.version, action=action, data=_data(entry), author=author
    )


def bump_generation(entry_ids) -> int:
    """Stamp ``entry_ids`` with a new generation: every live index re-reads just them."""
    ids = list(entry_ids)
    if not ids:
        return KbGeneration.objects.get_or_create(pk=1)[0].value
    row, _ = KbGeneration.objects.select_for_update(no_key=True).get_or_create(pk=1)
    row.value += 1
    row.save(update_fields=["value"])
    Entry.objects.filter(pk__in=ids).update(generation=row.value)
    return row.value


def authorize_org(user, org) -> None:
    """A new entry of ``org``: only by an editor over it (``None``: the system itself)."""
    if user is not None:
        authorize(user, Perm.EDIT_KB, org.path, view_perm=Perm.VIEW_ORG)


def authorize_edit(user, entry: Entry) -> None:
    """Changing an entry: editors over its organisation. Others get 403 for a published
    entry (everyone sees those) and 404 for a draft or retired one (they do not)."""
    if user is None or covers(user, Perm.EDIT_KB, entry.org.path):
        return
    if entry.status == EntryStatus.PUBLISHED:
        raise PermissionDenied(MSG_NOT_EDITOR)
    raise Http404("未找到")


def _audit(user, action: str, entry: Entry, before: dict | None, ip: str | None) -> None:
    audit.record(
        actor=user,
        action=action,
        obj=entry,
        org=entry.org,
        before=before,
        after=_data(entry),
        ip=ip,
    )


def export_record(*, acting_user, count: int, fmt: str, ip: str | None = None) -> None:
    """An export of the knowledge base leaves a trace (who, how many, which format)."""
    with transaction.atomic():
        audit.record(
            actor=acting_user,
            action="kb.entry.export",
            after={"count": count, "format": fmt},
            ip=ip,
        )


# --- Entry writes


@transaction.atomic
def entry_create(
    *,
    acting_user,
    org,
    question: str,
    answer: str,
    alternatives=(),
    category: str = "",
    tags=(),
    source: str = "",
    office: str = "",
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    kind: str = EntryKind.FAQ,
    publish: bool = False,
    ip: str | None = None,
) -> Entry:
    """A new entry of ``org`` (a draft unless ``publish``), by an editor over ``org``."""
    authorize_org(acting_user, org)
    entry = Entry(
        org=org,
        kind=kind,
        question=question,
        answer=answer,
        alternatives=list(alternatives or ()),
        category=category,
        tags=list(tags or ()),
        source=source,
        office=office,
        valid_from=valid_from,
        valid_until=valid_until,
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    _validate(entry)
    if publish:
        _check_publishable(entry)
        entry.status = EntryStatus.PUBLISHED
        entry.published_at = timezone.now()
    entry.save()
    _version(entry, action="create", author=acting_user)
    _audit(acting_user, "kb.entry.create", entry, None, ip)
    if publish:
        bump_generation([entry.pk])
    return entry


def entry_create_from_answer(
    *,
    acting_user,
    org,
    question: str,
    answer: str,
    category: str = "",
    source: str = "",
    office: str = "",
    kind: str = EntryKind.CASE,
    ip: str | None = None,
) -> Entry:
    """Turn a good answer (an agent's reply to a consultation) into a draft in one step.

    A draft, not published: an editor checks it before the bot may answer with it.
    Cases (案例选编) are the default kind; pass ``kind="faq"`` for a plain Q&A.
    """
    return entry_create(
        acting_user=acting_user,
        org=org,
        question=question,
        answer=answer,
        category=category,
        source=source,
        office=office,
        kind=kind,
        ip=ip,
    )


@transaction.atomic
def entry_update(*, acting_user, entry: Entry, ip: str | None = None, **changes) -> Entry:
    """Change the given fields; a new version. A published entry goes live at once."""
    authorize_edit(acting_user, entry)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    if entry.status == EntryStatus.RETIRED:
        raise_if({"__all__": MSG_RETIRED_EDIT})
    before = _data(entry)
    for name, value in changes.items():
        setattr(entry, name, value)
    _validate(entry)
    after = _data(entry)
    if after == before:
        return entry
    entry.version += 1
    entry.save()
    _version(entry, action="edit", author=acting_user)
    _audit(acting_user, "kb.entry.update", entry, before, ip)
    touched = {k for k in after if after[k] != before[k]}
    if entry.status == EntryStatus.PUBLISHED and touched & INDEXED:
        bump_generation([entry.pk])
    return entry


def _check_publishable(entry: Entry) -> None:
    if entry.valid_until is not None and entry.valid_until < _today():
        raise_if({"valid_until": MSG_EXPIRED})


def _set_status(acting_user, entry: Entry, status: str, action: str, ip) -> Entry:
    authorize_edit(acting_user, entry)
    if entry.status == status:
        raise_if({"status": MSG_ALREADY.format(status=EntryStatus(status).label)})
    before = _data(entry)
    entry.status = status
    if status == EntryStatus.PUBLISHED:
        _check_publishable(entry)
        entry.published_at = timezone.now()
    entry.version += 1
    entry.save()
    _version(entry, action=action, author=acting_user)
    _audit(acting_user, f"kb.entry.{action}", entry, before, ip)
    bump_generation([entry.pk])
    return entry


@transaction.atomic
def entry_publish(*, acting_user, entry: Entry, ip: str | None = None) -> Entry:
    """Publish: the bot answers with it from now on (every process, within a second)."""
    return _set_status(acting_user, entry, EntryStatus.PUBLISHED, "publish", ip)


@transaction.atomic
def entry_retire(*, acting_user, entry: Entry, ip: str | None = None) -> Entry:
    """Retire: no longer answered, kept with its history (entries are never deleted)."""
    return _set_status(acting_user, entry, EntryStatus.RETIRED, "retire", ip)


@transaction.atomic
def entry_restore(*, acting_user, entry: Entry, ip: str | None = None) -> Entry:
    """Back to draft (from retired, or to withdraw a published entry for rework)."""
    return _set_status(acting_user, entry, EntryStatus.DRAFT, "restore", ip)


def entries_validate(*, org, rows: list[dict]) -> dict[int, dict[str, str]]:
    """Errors per (1-based) row for new entries of ``org``, duplicates within the file too."""
    errors: dict[int, dict[str, str]] = {}
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, 1):
        entry = Entry(org=org, **{k: v for k, v in row.items() if k in FIELDS})
        row_errors: dict[str, str] = {}
        _clean(entry, row_errors)
        if "question" not in row_errors:
            if entry.question in seen:
                row_errors["question"] = f"与第{seen[entry.question]}条问题重复"
            elif (other := _duplicate_of(entry)) is not None:
                row_errors["question"] = MSG_DUPLICATE.format(id=other.pk)
            seen.setdefault(entry.question, number)
        expired = entry.valid_until is not None and entry.valid_until < _today()
        if row.get("status") == EntryStatus.PUBLISHED and expired:
            row_errors.setdefault("valid_until", MSG_EXPIRED)
        if row_errors:
            errors[number] = row_errors
    return errors


@transaction.atomic
def entry_bulk_create(
    *, acting_user, org, rows: list[dict], publish: bool = False, ip: str | None = None
) -> list[Entry]:
    """Create every row or none (the caller has validated with :func:`entries_validate`).

    One audit entry for the batch, one version row per entry, one generation bump.
    """
    authorize_org(acting_user, org)
    problems = entries_validate(org=org, rows=rows)
    if problems:
        first, fields = next(iter(problems.items()))
        raise ValidationError({f: [f"第{first}条：{m}"] for f, m in fields.items()}, code="import")
    author = acting_user if getattr(acting_user, "is_authenticated", False) else None
    now = timezone.now()
    entries = []
    for row in rows:
        entry = Entry(org=org, created_by=author, **{k: v for k, v in row.items() if k in FIELDS})
        entry.tier = row.get("tier") or EntryTier.CURATED  # an export read back keeps its tier
        _clean(entry, {})
        if publish:
            entry.status = EntryStatus.PUBLISHED
        if entry.status == EntryStatus.PUBLISHED:
            entry.published_at = now
        entries.append(entry)
    created = Entry.objects.bulk_create(entries, batch_size=500)
    if not all(e.pk for e in created):  # a backend without RETURNING: read the ids back
        created = list(Entry.objects.filter(org=org, created_at__gte=now).order_by("id"))
    EntryVersion.objects.bulk_create(
        [
            EntryVersion(entry=e, number=1, action="import", data=_data(e), author=author)
            for e in created
        ],
        batch_size=500,
    )
    audit.record(
        actor=acting_user,
        action="kb.entry.import",
        org=org,
        after={"count": len(created), "published": sum(e.status == "published" for e in created)},
        ip=ip,
    )
    bump_generation([e.pk for e in created if e.status == EntryStatus.PUBLISHED])
    return created


@transaction.atomic
def refresh_validity(*, day: dt.date) -> int:
    """Stamp entries whose validity starts or ends around ``day``, so indexes add or drop them.

    Idempotent: a re-run only bumps the counter again (indexes re-read the same rows).
    Covers the last week of boundaries, so a missed day or two is caught up.
    """
    week = day - dt.timedelta(days=7)
    ids = list(
        Entry.objects.filter(status=EntryStatus.PUBLISHED)
        .filter(
            Q(valid_from__gte=week, valid_from__lte=day)
            | Q(valid_until__gte=week, valid_until__lte=day)
        )
        .values_list("pk", flat=True)
    )
    bump_generation(ids)
    return len(ids)
