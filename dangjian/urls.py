"""Root URLs: pages per app, the REST API at /api/v1, Django admin for superusers."""

from django.contrib import admin
from django.urls import include, path

from dangjian.api import api
from dangjian.core.views import home, inbox, inbox_open

urlpatterns = [
    path("", home, name="home"),
    path("inbox/", inbox, name="inbox"),
    path("inbox/<int:pk>/open/", inbox_open, name="inbox_open"),
    path("accounts/", include("dangjian.accounts.urls")),
    path("orgs/", include("dangjian.orgs.urls")),
    path("members/", include("dangjian.members.urls")),
    path("orglife/", include("dangjian.orglife.urls")),
    path("consult/", include("dangjian.consult.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler400 = "dangjian.core.views.bad_request"
