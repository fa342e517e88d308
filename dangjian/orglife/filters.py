"""One FilterSet serves the meeting list page and the API list."""

import re

import django_filters
from django import forms
from django.db.models import Q

from dangjian.core.scope import Perm
from dangjian.orglife.choices import MeetingKind, MeetingStatus
from dangjian.orglife.models import Meeting

MSG_BAD_MONTH = "月份格式应为 2026-11"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthField(forms.CharField):
    """``2026-11`` → (2026, 11); the month picker (``<input type=month>``) sends this form."""

    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value):
        value = super().to_python(value).strip()
        if not value:
            return None
        match = _MONTH.match(value)
        if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
            raise forms.ValidationError(MSG_BAD_MONTH)
        return int(match[1]), int(match[2])


class MonthFilter(django_filters.Filter):
    field_class = MonthField

    def filter(self, qs, value):
        if not value:
            return qs
        year, month = value
        return qs.filter(starts_at__year=year, starts_at__month=month)


class MeetingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="主题")
    kind = django_filters.ChoiceFilter(choices=MeetingKind.choices, label="会议类型")
    status = django_filters.ChoiceFilter(choices=MeetingStatus.choices, label="状态")
    month = MonthFilter(label="月份")
    org = django_filters.NumberFilter(method="filter_org", label="组织")
    mine = django_filters.BooleanFilter(method="filter_mine", label="仅我参加的会议")

    class Meta:
        model = Meeting
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        return qs.filter(Q(topic__icontains=value)) if value else qs

    def filter_mine(self, qs, name, value):
        if not value:
            return qs
        own = getattr(getattr(self.request, "user", None), "member_id", None)
        return qs.filter(attendances__member_id=own) if own else qs.none()

    def filter_org(self, qs, name, value):
        """Meetings of an organisation's subtree (a 党小组: its own 党小组会); an organisation
        out of scope matches nothing."""
        from dangjian.orgs.models import Organisation

        user = getattr(self.request, "user", None)
        org = Organisation.objects.visible_to(user, Perm.VIEW_ORG).filter(pk=value).first()
        if org is None:
            return qs.none()
        return qs.filter(Q(branch__path__startswith=org.path) | Q(group=org))
