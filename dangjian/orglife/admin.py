"""Organisational life in the admin: browse only; writes go through orglife.services."""

from django.contrib import admin

from dangjian.core.admin import ReadOnlyAdmin
from dangjian.orglife.models import (
    Attendance,
    Meeting,
    Resolution,
    VillageAssignment,
)


class AttendanceInline(admin.TabularInline):
    model = Attendance
    fields = ("member", "status", "method", "checked_in_at", "leave_reason", "phone_exempt")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ("topic", "kind", "branch", "starts_at", "status")
    list_filter = ("kind", "status")
    list_select_related = ("branch",)
    search_fields = ("topic",)
    date_hierarchy = "starts_at"
    inlines = [AttendanceInline]


@admin.register(Resolution)
class ResolutionAdmin(ReadOnlyAdmin):
    list_display = ("title", "meeting", "status", "votes_for", "votes_against", "votes_abstain")
    list_filter = ("status",)


@admin.register(VillageAssignment)
class VillageAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("member", "village", "started_on", "ended_on")
    search_fields = ("village",)
