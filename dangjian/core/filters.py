"""One FilterSet serves the warning list page (/warnings/) and the API (/api/v1/warnings)."""

import django_filters
from django import forms
from django.db.models import QuerySet

from dangjian.core import scope, warnings
from dangjian.core.apitools import MAX_ID
from dangjian.core.scope import Perm

STATES = [("open", "未解除"), ("resolved", "已解除"), ("all", "全部")]
MSG_DATES = "起始日期不能晚于截止日期"


def _kind_choices() -> list[tuple[str, str]]:
    return [(k.name, k.label) for k in warnings.kinds()]


class WarningFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=_kind_choices, label="预警类型")
    state = django_filters.ChoiceFilter(
        choices=STATES, method="filter_state", label="状态", empty_label=None
    )
    org = django_filters.NumberFilter(method="filter_org", label="组织")
    mine = django_filters.BooleanFilter(
        method="filter_mine", label="仅看指派给我的", widget=forms.CheckboxInput
    )
    raised_from = django_filters.DateFilter(
        field_name="raised_at", lookup_expr="date__gte", label="预警日期从"
    )
    raised_to = django_filters.DateFilter(
        field_name="raised_at", lookup_expr="date__lte", label="预警日期至"
    )

    class Meta:
        model = warnings.Warning
        fields: list[str] = []

    def filter_state(self, qs: QuerySet, name, value) -> QuerySet:
        if value == "open":
            return qs.filter(resolved_at__isnull=True)
        if value == "resolved":
            return qs.filter(resolved_at__isnull=False)
        return qs

    def filter_org(self, qs: QuerySet, name, value) -> QuerySet:
        """Warnings of an organisation's subtree; an organisation out of scope matches
        nothing (the filter narrows, it never widens)."""
        if not 1 <= value <= MAX_ID:  # no such key (and beyond the database's integers)
            return qs.none()
        user = getattr(self.request, "user", None)
        org = scope.org_model().objects.visible_to(user, Perm.VIEW_WARNING).filter(pk=value).first()
        if org is None:
            return qs.none()
        return qs.filter(org__path__startswith=org.path)

    def filter_mine(self, qs: QuerySet, name, value) -> QuerySet:
        if not value:
            return qs
        user = getattr(self.request, "user", None)
        return qs.filter(assignee_id=getattr(user, "pk", None))

    def is_valid(self) -> bool:
        valid = super().is_valid()
        data = self.form.cleaned_data if valid else {}
        start, end = data.get("raised_from"), data.get("raised_to")
        if start and end and start > end:
            self.form.add_error("raised_to", MSG_DATES)
            return False
        return valid
