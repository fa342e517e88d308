"""Members in the admin: browse only, and never the ID number or phone in clear (nor
their ciphertext): only the masked forms. Writes go through members.services."""

from django.contrib import admin

from dangjian.core.admin import ReadOnlyAdmin
from dangjian.members.models import Member


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ("name", "gender", "status", "branch", "id_masked", "phone_hidden")
    list_filter = ("status", "gender", "education")
    list_select_related = ("branch",)
    search_fields = ("name",)
    exclude = ("id_number", "phone")
    readonly_fields = ("id_masked", "phone_hidden")

    @admin.display(description="公民身份号码")
    def id_masked(self, obj: Member) -> str:
        return obj.id_number_masked

    @admin.display(description="手机号")
    def phone_hidden(self, obj: Member) -> str:
        return obj.phone_masked
