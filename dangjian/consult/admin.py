"""12371 in the admin: read only. Every write goes through consult.services (validated,
versioned, audited, and — for entries — pushed to the live index)."""

from django.contrib import admin

from dangjian.consult.models import (
    Conversation,
    DailyAnswer,
    Entry,
    EntryVersion,
    IvrOption,
    Message,
    PlatformFeedback,
)
from dangjian.core.admin import ReadOnlyAdmin

# --- Knowledge base and bot


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("question", "category", "status", "kind", "org", "version", "updated_at")
    list_filter = ("status", "kind", "category")
    list_select_related = ("org",)
    search_fields = ("question", "source")


@admin.register(EntryVersion)
class EntryVersionAdmin(ReadOnlyAdmin):
    list_display = ("entry", "number", "action", "author", "at")
    list_select_related = ("entry", "author")


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("role", "text", "entry", "confidence", "handed_off", "feedback", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ("pk", "user", "channel", "org", "handed_off_at", "created_at")
    list_filter = ("channel",)
    list_select_related = ("user", "org")
    inlines = [MessageInline]


@admin.register(DailyAnswer)
class DailyAnswerAdmin(ReadOnlyAdmin):
    list_display = ("day", "entry", "sent", "finished_at")
    list_select_related = ("entry",)


@admin.register(IvrOption)
class IvrOptionAdmin(ReadOnlyAdmin):
    list_display = ("org", "position", "key", "label", "queue", "category")
    list_select_related = ("org",)


@admin.register(PlatformFeedback)
class PlatformFeedbackAdmin(ReadOnlyAdmin):
    list_display = ("text", "kind", "status", "user", "created_at")
    list_filter = ("kind", "status")


# --- Work orders, coordination, live chats, agents. Read-only: every change goes
# through consult.services.orders, so it is validated, audited and in the history.

from dangjian.consult.models import (  # noqa: E402
    AgentPresence,
    CannedReply,
    ChatSession,
    Coordination,
    OrderEvent,
    WorkOrder,
)


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    fields = ("at", "action", "from_status", "to_status", "actor", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    list_display = ("pk", "summary", "source", "status", "org", "assignee", "created_at")
    list_filter = ("status", "source", "priority")
    list_select_related = ("org", "assignee")
    exclude = ("phone", "phone_digest")  # the number stays masked, even here
    inlines = [OrderEventInline]


@admin.register(Coordination)
class CoordinationAdmin(ReadOnlyAdmin):
    list_display = ("order", "org", "office", "answered_at")
    list_select_related = ("order", "org")


@admin.register(ChatSession)
class ChatSessionAdmin(ReadOnlyAdmin):
    list_display = ("pk", "agent", "status", "org", "created_at", "closed_at")
    list_filter = ("status",)
    list_select_related = ("agent", "conversation__org")

    @admin.display(description="所属组织")
    def org(self, chat):
        return chat.conversation.org


@admin.register(AgentPresence)
class AgentPresenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "online", "last_seen", "capacity")


@admin.register(CannedReply)
class CannedReplyAdmin(ReadOnlyAdmin):
    list_display = ("title", "org", "category")
    list_select_related = ("org",)
