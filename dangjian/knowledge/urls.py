"""Pages of the knowledge base and the bot, under /consult/ (the paths of the former
consult app, shared with the service desk); the editors' 每日一答 schedule and the
政策解读 column are in ``editorial_views``."""

from dangjian.knowledge import editorial_views, views

app_name = "knowledge"
urlpatterns = views.urlpatterns + editorial_views.urlpatterns
