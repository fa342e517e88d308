"""Pages of the 12371 service: the knowledge base and chat (kb), work orders (orders)."""

from dangjian.consult.views import kb, orders

app_name = "consult"
urlpatterns = [*kb.urlpatterns, *orders.urlpatterns]
