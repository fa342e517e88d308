"""The knowledge base and the bot in the admin: read only. Every write goes through
knowledge.services (validated, versioned, audited, and pushed to the live index)."""

from django.contrib import admin

from dangjian.core.admin import ReadOnlyAdmin
from dangjian.knowledge.models import Conversation, DailyAnswer, Entry, EntryVersion, Message


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
