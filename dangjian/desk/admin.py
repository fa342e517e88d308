"""The service desk in the admin: read only. Every change goes through desk.services, so
it is validated, audited and in the order's history."""

from django.contrib import admin

from dangjian.core.admin import ReadOnlyAdmin
from dangjian.desk.models import (
    AgentPresence,
    CannedReply,
    ChatSession,
    Coordination,
    IvrOption,
    OrderEvent,
    PlatformFeedback,
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


@admin.register(IvrOption)
class IvrOptionAdmin(ReadOnlyAdmin):
    list_display = ("org", "position", "key", "label", "queue", "category")
    list_select_related = ("org",)


@admin.register(PlatformFeedback)
class PlatformFeedbackAdmin(ReadOnlyAdmin):
    list_display = ("text", "kind", "status", "user", "created_at")
    list_filter = ("kind", "status")
