"""Every read of the knowledge base and the bot's conversations, through core.scope.

Published entries are public (every logged-in user, and the public site); drafts and
retired entries are seen only by knowledge-base editors (Perm.EDIT_KB) at or above the
owning organisation. A conversation is seen by its asker and by the 12371 staff over
the asker's branch (Perm.VIEW_CONSULT) — the rules each model declares with its manager
(``consult.models.kb``), read through ``visible_to``.
"""

import datetime as dt
from functools import lru_cache

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from dangjian.consult.models import (
    Conversation,
    DailyAnswer,
    Entry,
    EntryStatus,
    EntryVersion,
    Feedback,
    IvrOption,
    Message,
    MessageRole,
    PlatformFeedback,
)
from dangjian.core import scope
from dangjian.core.scope import Perm
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
        from dangjian.consult import index

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


def unanswered_questions(user, *, since: dt.datetime, until: dt.datetime, limit: int = 50):
    """Gaps in the base: questions the bot could not answer (it handed off) or whose answer
    was marked 没用, most frequent first, over the conversations in ``user``'s 12371 scope.

    A 转人工 click is not a gap (its reply has no confidence), so it is not counted.
    """
    conversations = Conversation.objects.visible_to(user, Perm.VIEW_CONSULT, also=False)
    asked = (
        Message.objects.filter(
            conversation=OuterRef("conversation"), role=MessageRole.USER, id__lt=OuterRef("id")
        )
        .order_by("-id")
        .values("text")[:1]
    )
    return list(
        Message.objects.filter(
            conversation__in=conversations,
            role=MessageRole.BOT,
            created_at__gte=since,
            created_at__lt=until,
        )
        .filter(Q(handed_off=True, confidence__isnull=False) | Q(feedback=Feedback.UNHELPFUL))
        .annotate(question=Subquery(asked))
        .values("question")
        .annotate(n=Count("id"))
        .order_by("-n", "question")[:limit]
    )


# --- 每日一答, hotline menu, platform feedback


def daily_archive() -> QuerySet[DailyAnswer]:
    return DailyAnswer.objects.filter(day__lte=timezone.localdate()).select_related("entry")


def daily_get(day: dt.date) -> DailyAnswer:
    return scope.get_or_404(daily_archive(), day=day)


def ivr_org(user) -> Organisation | None:
    """The hotline whose menu the user sees: the nearest one at or above their scope."""
    top = editor_orgs(user).order_by("depth").first() or _consult_root(user)
    if top is None:
        return None
    owners = set(IvrOption.objects.values_list("org__path", flat=True).distinct())
    for path in reversed(scope.ancestor_paths(top.path, include_self=True)):
        if path in owners:
            return Organisation.objects.get(path=path)
    return top


def _consult_root(user) -> Organisation | None:
    paths = scope.scope_paths(user, Perm.HANDLE_CONSULT)
    if paths is scope.ALL:
        return Organisation.objects.get_root_nodes().first()
    return Organisation.objects.filter(path__in=paths).order_by("depth").first()


def ivr_options(org: Organisation) -> QuerySet[IvrOption]:
    return IvrOption.objects.filter(org=org).order_by("position", "id")


def is_admin(user) -> bool:
    return bool(scope.scope_paths(user, Perm.CHANGE_ORG))


def can_handle(user) -> bool:
    return bool(scope.scope_paths(user, Perm.HANDLE_CONSULT))


def feedback_queryset(user) -> QuerySet[PlatformFeedback]:
    """Admins see the list for their subtree; everyone sees what they submitted."""
    return PlatformFeedback.objects.visible_to(user, Perm.CHANGE_ORG).select_related("user")


def feedback_get(user, feedback_id) -> PlatformFeedback:
    return scope.get_or_404(feedback_queryset(user), pk=feedback_id)


def can_manage_feedback(user, item: PlatformFeedback) -> bool:
    paths = scope.scope_paths(user, Perm.CHANGE_ORG)
    return paths is scope.ALL or (
        item.org_id is not None and scope.covers(user, Perm.CHANGE_ORG, item.org.path)
    )
