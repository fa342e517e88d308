"""The audit log, the ledger and the warnings in the admin: read only (赖不掉 — nobody
edits history)."""

from django.contrib import admin

from dangjian.core.models import AuditEntry, LedgerAccount, LedgerEntry, Warning


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


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ("book", "holder", "org", "balance", "created_at")
    list_filter = ("book",)
    search_fields = ("holder",)
    list_select_related = ("org",)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "book", "account", "amount", "balance_after", "kind", "key", "actor")
    list_filter = ("book", "kind")
    search_fields = ("key", "account__holder")
    date_hierarchy = "at"
    list_select_related = ("account", "actor")


@admin.register(Warning)
class WarningAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "org", "severity", "raised_at", "assignee", "resolved_at")
    list_filter = ("kind", "severity", "resolution")
    list_select_related = ("org", "assignee")
    search_fields = ("title", "dedupe_key")
    date_hierarchy = "raised_at"
