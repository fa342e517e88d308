"""Accounts in the admin (superusers). Role grants go through accounts.services, so
they are checked and audited like every other write; account edits are audited too."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice as UpstreamTOTPDevice

from dangjian.accounts import services
from dangjian.accounts.models import ApiToken, RoleAssignment, TwoFactorDevice, User
from dangjian.core import audit
from dangjian.core.admin import ReadOnlyAdmin
from dangjian.core.http import client_ip

USER_AUDITED = ("username", "display_name", "member", "is_active", "is_staff", "is_superuser")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "is_active", "is_superuser", "last_login")
    search_fields = ("username", "display_name")
    raw_id_fields = ("member",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("党员", {"fields": ("display_name", "member")}),
    )

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(User.objects.get(pk=obj.pk), USER_AUDITED) if change else None
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action="user.update" if change else "user.create",
            obj=obj,
            before=before,
            after=audit.snapshot(obj, USER_AUDITED),
            ip=client_ip(request),
        )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "org")
    list_filter = ("role",)
    list_select_related = ("user", "org")
    search_fields = ("user__username", "org__name", "org__code")
    raw_id_fields = ("user", "org")

    def has_change_permission(self, request, obj=None):
        return obj is None  # grant or revoke; a changed role is a revoke plus a grant

    def save_model(self, request, obj, form, change):
        assignment = services.role_grant(
            acting_user=request.user,
            user=obj.user,
            org=obj.org,
            role=obj.role,
            ip=client_ip(request),
        )
        obj.pk = assignment.pk

    def delete_model(self, request, obj):
        services.role_revoke(acting_user=request.user, assignment=obj, ip=client_ip(request))

    def delete_queryset(self, request, queryset):
        for assignment in queryset.select_related("org", "user"):
            self.delete_model(request, assignment)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("user", "created_at", "expires_at", "last_used_at")
    list_select_related = ("user",)
    exclude = ("digest",)

    def has_delete_permission(self, request, obj=None):
        return True  # revoking a token is always safe


# Devices live in accounts.TwoFactorDevice (seed encrypted); django-otp's own model keeps
# an empty table, and its admin (which shows the seed as a QR code) is withdrawn.
if admin.site.is_registered(UpstreamTOTPDevice):
    admin.site.unregister(UpstreamTOTPDevice)


@admin.register(TwoFactorDevice)
class TwoFactorDeviceAdmin(ReadOnlyAdmin):
    """Who has a second factor, never the seed. Deleting a device makes its user enrol anew."""

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_select_related = ("user",)
    exclude = ("key",)

    def has_delete_permission(self, request, obj=None):
        return True
