"""The audit log in the admin: read only (赖不掉 — nobody edits history)."""

from django.contrib import admin

from dangjian.core.models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (validated, audited): the admin may look, not touch."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "org_path",
        "ip",
        "request_id",
        "chain",
        "seq",
    )
    list_filter = ("action",)
    search_fields = ("actor_label", "action", "object_id", "org_path", "request_id")
    date_hierarchy = "at"
    list_select_related = False
