"""One FilterSet serves the organisation search page and the API list."""

import django_filters
from django.db.models import Q

from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation


class OrgFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="名称或代码")
    org_type = django_filters.ChoiceFilter(choices=OrgType.choices, label="类型")
    active = django_filters.BooleanFilter(method="filter_active", label="仅现存组织")

    class Meta:
        model = Organisation
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        return qs.filter(Q(name__icontains=value) | Q(code__iexact=value)) if value else qs

    def filter_active(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(dissolved_on__isnull=value)
