"""Every read of the knowledge base and the bot's conversations, through core.scope.

Published entries are public (every logged-in user, and the public site); drafts and
retired entries are seen only by knowledge-base editors (Perm.EDIT_KB) at or above the
owning organisation. A conversation is seen by its asker and by the 12371 staff over
the asker's branch (Perm.VIEW_CONSULT) — the rules each model declares with its manager
(``knowledge.models``), read through ``visible_to``.
"""

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from dangjian.core import scope
from dangjian.core.scope import Perm
from dangjian.knowledge.models import (
    Conversation,
    DailyAnswer,
    DailySchedule,
    Entry,
    EntryKind,
    EntryStatus,
    EntryTier,
    EntryVersion,
    Feedback,
    Message,
    MessageRole,
    PolicyArticle,
    PolicyStatus,
)
from dangjian.orgs.models import Organisation

SEARCH_MAX = 50


# --- Rendering answers


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    """CommonMark with raw HTML off: tags an editor types are shown as text, and link
    targets go through markdown-it's validateLink (no javascript:, vbscript:, data:)."""
    return MarkdownIt("commonmark", {"html": False, "breaks": True}).enable("table")


def answer_html(text: str) -> SafeString:
    """An answer's Markdown as HTML safe to put in a page."""
    return mark_safe(_markdown().render(text or ""))


# --- Entries


def live_q(day: dt.date | None = None) -> Q:
    """Published and within the validity dates on ``day`` (what the bot may answer)."""
    day = day or timezone.localdate()
    return (
        Q(status=EntryStatus.PUBLISHED)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=day))
        & (Q(valid_until__isnull=True) | Q(valid_until__gte=day))
    )


def entry_queryset(user) -> QuerySet[Entry]:
    """Entries ``user`` may see: every published one, plus drafts and retired ones of the
    organisations they edit the knowledge base for."""
    published = Entry.objects.filter(status=EntryStatus.PUBLISHED)
    return (published | Entry.objects.visible_to(user, Perm.EDIT_KB)).select_related("org")


def public_queryset() -> QuerySet[Entry]:
    """The entries members and the public browse: published and currently valid."""
    return Entry.objects.filter(live_q()).select_related("org")


def entry_get(user, entry_id) -> Entry:
    return scope.get_or_404(entry_queryset(user), pk=entry_id)


def can_edit(user, entry: Entry) -> bool:
    return scope.covers(user, Perm.EDIT_KB, entry.org.path)


def is_editor(user) -> bool:
    return bool(scope.scope_paths(user, Perm.EDIT_KB))


def editor_orgs(user) -> QuerySet[Organisation]:
    """The organisations at the top of ``user``'s knowledge-base editing scope."""
    paths = scope.scope_paths(user, Perm.EDIT_KB)
    if paths is scope.ALL:
        return Organisation.objects.get_root_nodes()
    return Organisation.objects.filter(path__in=paths)


def default_org(user) -> Organisation | None:
    """Where a new entry goes when the editor names no organisation: their top one."""
    return editor_orgs(user).order_by("depth", "path").first()


def entry_versions(entry: Entry) -> QuerySet[EntryVersion]:
    return entry.versions.select_related("author").order_by("-number")


ACTION_LABELS = {
    "create": "创建",
    "edit": "修改",
    "publish": "发布",
    "retire": "停用",
    "restore": "恢复为草稿",
    "import": "导入",
}


def version_diff(versions: list[EntryVersion]) -> list[dict]:
    """Each version (newest first) with the fields it changed from the one before."""
    result, previous = [], {}
    for version in sorted(versions, key=lambda v: v.number):
        changed = [k for k, v in version.data.items() if previous.get(k) != v]
        result.append(
            {
                "version": version,
                "action": ACTION_LABELS.get(version.action, version.action),
                "changed": changed if previous else [],
            }
        )
        previous = version.data
    return list(reversed(result))


def categories() -> list[str]:
    """The categories in use among published entries (for filters and the chat page)."""
    return list(
        Entry.objects.filter(status=EntryStatus.PUBLISHED)
        .exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )


def search_public(text: str, *, limit: int = 20, engine=None) -> list[Entry]:
    """Published, valid entries best matching ``text`` (the bot's retrieval, ranked)."""
    text = " ".join((text or "").split())[:200]
    if not text:
        return []
    if engine is None:
        from dangjian.knowledge import index

        engine = index.live().get()
    hits = engine.ask(text, k=min(limit, SEARCH_MAX)).candidates
    found = {e.pk: e for e in public_queryset().filter(pk__in=[h.id for h in hits])}
    return [found[h.id] for h in hits if h.id in found]


# --- Conversations


def conversation_queryset(user, *, session_ids=()) -> QuerySet[Conversation]:
    """Own conversations; a visitor's from this browser session; staff: their subtree's."""
    this_browser = Conversation.objects.filter(pk__in=list(session_ids), user__isnull=True)
    return this_browser | Conversation.objects.visible_to(user, Perm.VIEW_CONSULT)


def own_conversation(user, conversation_id, *, session_ids=()) -> Conversation:
    """A conversation the asker may continue: theirs, or this visitor session's."""
    if getattr(user, "is_authenticated", False):
        mine = Conversation.objects.filter(user=user)
    else:
        mine = Conversation.objects.filter(pk__in=list(session_ids), user__isnull=True)
    return scope.get_or_404(mine, pk=conversation_id)


def conversation_get(user, conversation_id, *, session_ids=()) -> Conversation:
    qs = conversation_queryset(user, session_ids=session_ids)
    return scope.get_or_404(qs, pk=conversation_id)


def conversation_messages(conversation: Conversation) -> QuerySet[Message]:
    return conversation.messages.select_related("entry").order_by("id")


def own_message(user, message_id, *, session_ids=()) -> Message:
    """A bot answer in one of the asker's own conversations (for 有用/没用)."""
    if getattr(user, "is_authenticated", False):
        mine = Q(conversation__user=user)
    else:
        mine = Q(conversation_id__in=list(session_ids), conversation__user__isnull=True)
    return scope.get_or_404(Message.objects.filter(mine), pk=message_id)


def last_question(conversation: Conversation) -> str:
    """What the asker last asked (the summary of an order filed from the conversation)."""
    message = (
        conversation.messages.filter(role=MessageRole.USER)
        .exclude(text="转人工")
        .order_by("-id")
        .first()
    )
    return message.text if message is not None else "转人工咨询"


def _bot_turns(conversations, since: dt.datetime, until: dt.datetime) -> QuerySet[Message]:
    return Message.objects.filter(
        conversation__in=conversations,
        role=MessageRole.BOT,
        created_at__gte=since,
        created_at__lt=until,
    )


def _gaps(bot_turns: QuerySet[Message], limit: int) -> list[dict]:
    """Questions the bot handed off unsure of, or whose answer was 没用, most frequent first.

    A 转人工 click is not a gap (its reply has no confidence), so it is not counted.
    """
    asked = (
        Message.objects.filter(
            conversation=OuterRef("conversation"), role=MessageRole.USER, id__lt=OuterRef("id")
        )
        .order_by("-id")
        .values("text")[:1]
    )
    return list(
        bot_turns.filter(
            Q(handed_off=True, confidence__isnull=False) | Q(feedback=Feedback.UNHELPFUL)
        )
        .annotate(question=Subquery(asked))
        .values("question")
        .annotate(n=Count("id"))
        .order_by("-n", "question")[:limit]
    )


def unanswered_questions(user, *, since: dt.datetime, until: dt.datetime, limit: int = 50):
    """Gaps in the base over the conversations in ``user``'s 12371 scope (``_gaps``)."""
    conversations = Conversation.objects.visible_to(user, Perm.VIEW_CONSULT, also=False)
    return _gaps(_bot_turns(conversations, since, until), limit)


@dataclass(frozen=True)
class BotFigures:
    conversations: int
    resolved: int  # answered with confidence and never handed off
    handed_off: int
    top_questions: list[dict]  # {"entry_id", "question", "n"}
    unanswered: list[dict]  # {"question", "n"}


def _subtree(org: Organisation) -> Q:
    """Rows whose organisation lies under ``org`` now (by the key, never a copied path)."""
    q = Q(org__path__startswith=org.path)
    if org.depth == 1:  # visitors without an organisation count at the top
        q |= Q(org__isnull=True)
    return q


def bot_figures(org: Organisation, *, since: dt.datetime, until: dt.datetime, limit: int = 20):
    """The bot's figures for ``org``'s subtree over [since, until) — ``org`` already in the
    caller's scope, so its subtree is too (the statistics of the service desk read them)."""
    conversations = Conversation.objects.filter(
        _subtree(org), created_at__gte=since, created_at__lt=until
    )
    answered = Message.objects.filter(
        conversation=OuterRef("pk"), role=MessageRole.BOT, confident=True
    )
    conv = conversations.aggregate(
        total=Count("id"),
        handed_off=Count("id", filter=Q(handed_off_at__isnull=False)),
        resolved=Count("id", filter=Q(Exists(answered), handed_off_at__isnull=True)),
    )
    bot = _bot_turns(conversations, since, until)
    top = list(
        bot.filter(entry__isnull=False, confident=True)
        .values("entry_id", question=F("entry__question"))
        .annotate(n=Count("id"))
        .order_by("-n", "entry_id")[:limit]
    )
    return BotFigures(
        conversations=conv["total"],
        resolved=conv["resolved"],
        handed_off=conv["handed_off"],
        top_questions=top,
        unanswered=_gaps(bot, limit),
    )


# --- 每日一答


def daily_archive() -> QuerySet[DailyAnswer]:
    return DailyAnswer.objects.filter(day__lte=timezone.localdate()).select_related("entry")


def daily_get(day: dt.date) -> DailyAnswer:
    return scope.get_or_404(daily_archive(), day=day)


def schedulable(day: dt.date) -> QuerySet[Entry]:
    """Entries an editor may schedule for ``day``: published curated Q&A valid that day."""
    return Entry.objects.filter(live_q(day), kind=EntryKind.FAQ, tier=EntryTier.CURATED)


def day_schedules(day: dt.date) -> list[tuple[str, Entry]]:
    """The day's schedules still answerable, as (organisation path, entry), deepest first."""
    rows = (
        DailySchedule.objects.filter(day=day, entry__in=schedulable(day))
        .select_related("entry")
        .annotate(path=F("org__path"))
    )
    return sorted(((r.path, r.entry) for r in rows), key=lambda pe: -len(pe[0]))


def entry_for_path(path: str, schedules: list[tuple[str, Entry]], fallback):
    """The entry of the nearest scheduling organisation above ``path``, else ``fallback``."""
    for top, entry in schedules:
        if path and scope.within(path, top):
            return entry
    return fallback


@dataclass(frozen=True)
class Today:
    """A user's 每日一答 for a day: the entry, and whether an editor chose it."""

    day: dt.date
    entry: Entry
    chosen: bool


def daily_today(user, day: dt.date | None = None) -> Today | None:
    """The 每日一答 ``user`` gets on ``day``: their nearest organisation's schedule, else
    the province-wide pick of that day (the latest one before it, before the morning job)."""
    day = day or timezone.localdate()
    schedules = day_schedules(day)
    member = getattr(user, "member", None) if getattr(user, "member_id", None) else None
    path = member.branch.path if member is not None else ""
    if not path:  # a user without a branch gets the root organisation's choice
        path = next((p for p, _ in schedules if scope.path_depth(p) == 1), "")
    chosen = entry_for_path(path, schedules, None)
    if chosen is not None:
        return Today(day, chosen, True)
    latest = daily_archive().filter(day__lte=day).order_by("-day").first()
    return Today(latest.day, latest.entry, False) if latest is not None else None


def schedule_queryset(user) -> QuerySet[DailySchedule]:
    """Schedules of the organisations ``user`` edits the knowledge base for."""
    return DailySchedule.objects.visible_to(user, Perm.EDIT_KB).select_related(
        "entry", "org", "created_by"
    )


def schedule_get(user, schedule_id) -> DailySchedule:
    return scope.get_or_404(schedule_queryset(user), pk=schedule_id)


def schedule_search(text: str, day: dt.date, *, limit: int = 20) -> list[Entry]:
    """Curated entries an editor may schedule for ``day`` whose question has ``text``."""
    text = " ".join((text or "").split())[:100]
    qs = schedulable(day)
    if text:
        qs = qs.filter(Q(question__icontains=text) | Q(category__icontains=text))
    return list(qs.order_by("category", "id")[:limit])


# --- 政策解读


def policy_public(day: dt.date | None = None) -> QuerySet[PolicyArticle]:
    """Published articles from their publish date: every logged-in user reads them."""
    day = day or timezone.localdate()
    return PolicyArticle.objects.filter(
        status=PolicyStatus.PUBLISHED, publish_date__lte=day
    ).select_related("org")


def policy_manage(user) -> QuerySet[PolicyArticle]:
    """Every article of the organisations ``user`` edits for, whatever its status."""
    return PolicyArticle.objects.visible_to(user, Perm.EDIT_KB).select_related("org")


def policy_queryset(user) -> QuerySet[PolicyArticle]:
    return policy_public() | policy_manage(user)


def policy_get(user, article_id) -> PolicyArticle:
    return scope.get_or_404(policy_queryset(user), pk=article_id)


def policy_can_edit(user, article: PolicyArticle) -> bool:
    return scope.covers(user, Perm.EDIT_KB, article.org.path)
