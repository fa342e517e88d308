"""One FilterSet serves the transfer list page and the API list."""

import django_filters
from django.db.models import Q

from dangjian.transfers.choices import IncomingStatus, Origin, TransferScope, TransferStatus
from dangjian.transfers.models import IncomingTransfer, Transfer


class TransferFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="党员姓名")
    status = django_filters.ChoiceFilter(choices=TransferStatus.choices, label="状态")
    scope = django_filters.ChoiceFilter(choices=TransferScope.choices, label="转接范围")

    class Meta:
        model = Transfer
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        return qs.filter(Q(member__name__icontains=value)) if value else qs


class IncomingFilter(django_filters.FilterSet):
    """The incoming transfers' list (page and API)."""

    q = django_filters.CharFilter(method="filter_q", label="姓名")
    status = django_filters.ChoiceFilter(choices=IncomingStatus.choices, label="状态")
    origin = django_filters.ChoiceFilter(choices=Origin.choices, label="转入来源")

    class Meta:
        model = IncomingTransfer
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        return qs.filter(name__icontains=value) if value else qs
