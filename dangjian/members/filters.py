"""One FilterSet serves the member list page and the API list."""

import django_filters
from django.utils import timezone

from dangjian.core.scope import Perm
from dangjian.members.choices import ETHNICITY_CHOICES, AgeBand, Education, Gender, Status
from dangjian.members.models import Member
from dangjian.members.rules import age_band_birth_range


class MemberFilter(django_filters.FilterSet):
    # Filters on a member's details: they search only the members whose details the user
    # may see (selectors.detail_queryset), never a fellow member's.
    DETAILS = ("status", "education", "gender", "ethnicity", "age_band")

    q = django_filters.CharFilter(method="filter_q", label="姓名")
    status = django_filters.ChoiceFilter(choices=Status.choices, label="党籍状态")
    education = django_filters.ChoiceFilter(choices=Education.choices, label="学历")
    gender = django_filters.ChoiceFilter(choices=Gender.choices, label="性别")
    ethnicity = django_filters.ChoiceFilter(choices=ETHNICITY_CHOICES, label="民族")
    age_band = django_filters.ChoiceFilter(
        choices=AgeBand.choices, method="filter_age_band", label="年龄段"
    )
    org = django_filters.NumberFilter(method="filter_org", label="所在组织")

    class Meta:
        model = Member
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        return qs.filter(name__icontains=value) if value else qs

    def filter_age_band(self, qs, name, value):
        earliest, latest = age_band_birth_range(value, timezone.localdate())
        if earliest:
            qs = qs.filter(birth_date__gte=earliest)
        if latest:
            qs = qs.filter(birth_date__lte=latest)
        return qs

    def filter_org(self, qs, name, value):
        """Members of an organisation's subtree; an org out of scope matches nothing."""
        from dangjian.orgs.models import Organisation

        user = getattr(self.request, "user", None)
        org = Organisation.objects.visible_to(user, Perm.VIEW_ORG).filter(pk=value).first()
        if org is None:
            return qs.none()
        return qs.filter(branch__path__startswith=org.path)
