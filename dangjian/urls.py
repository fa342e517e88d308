"""Root URLs: pages per app, the REST API at /api/v1, Django admin for superusers."""

from django.contrib import admin
from django.urls import include, path

from dangjian.api import api
from dangjian.core.views import (
    inbox,
    inbox_open,
    warning_assign,
    warning_detail,
    warning_list,
    warning_resolve,
)
from dangjian.home.views import home

handler500 = "dangjian.core.failures.server_error"  # outages met by middleware → 503/507

urlpatterns = [
    path("", home, name="home"),
    path("inbox/", inbox, name="inbox"),
    path("inbox/<int:pk>/open/", inbox_open, name="inbox_open"),
    path("warnings/", warning_list, name="warnings"),
    path("warnings/<int:pk>/", warning_detail, name="warning_detail"),
    path("warnings/<int:pk>/resolve/", warning_resolve, name="warning_resolve"),
    path("warnings/<int:pk>/assign/", warning_assign, name="warning_assign"),
    path("accounts/", include("dangjian.accounts.urls")),
    path("orgs/", include("dangjian.orgs.urls")),
    path("members/", include("dangjian.members.urls")),
    path("orglife/", include("dangjian.orglife.urls")),
    path("dues/", include("dangjian.dues.urls")),
    path("consult/", include("dangjian.knowledge.urls")),
    path("consult/", include("dangjian.desk.urls")),
    path("transfers/", include("dangjian.transfers.urls")),
    path("recruitment/", include("dangjian.recruitment.urls")),
    path("mobility/", include("dangjian.mobility.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler400 = "dangjian.core.views.bad_request"
handler403 = "dangjian.core.errorpages.permission_denied"
handler404 = "dangjian.core.errorpages.page_not_found"
