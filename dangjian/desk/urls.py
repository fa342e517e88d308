"""Pages of the service desk, under /consult/ (the paths of the former consult app, shared
with the knowledge base): the console and orders, the public question form, the hotline
script and the 问题优化清单."""

from dangjian.desk.views import canned, chat, feedback, hotline, orders, public, routing

app_name = "desk"
urlpatterns = [
    *orders.urlpatterns,
    *chat.urlpatterns,
    *public.urlpatterns,
    *hotline.urlpatterns,
    *feedback.urlpatterns,
    *routing.urlpatterns,
    *canned.urlpatterns,
]
