"""Organisations in the admin: browse only. Tree writes go through the pages (orgs.services:
serialised, validated, audited), never through admin drag-and-drop."""

from django.contrib import admin
from treebeard.admin import TreeAdmin

from dangjian.core.admin import ReadOnlyAdmin
from dangjian.orgs.models import Organisation, Position


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin, TreeAdmin):
    list_display = ("name", "org_type", "code", "founded_on", "dissolved_on")
    list_filter = ("org_type",)
    search_fields = ("name", "code")


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = ("org", "title", "member", "started_on", "ended_on")
    list_filter = ("title",)
    list_select_related = ("org", "member")
    search_fields = ("org__name", "member__name")
