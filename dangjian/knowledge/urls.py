"""Pages of the knowledge base and the bot, under /consult/ (the paths of the former
consult app, shared with the service desk)."""

from dangjian.knowledge import views

app_name = "knowledge"
urlpatterns = views.urlpatterns
