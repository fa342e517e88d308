"""Pages of the 12371 service: the knowledge base and chat (kb), work orders (orders),
the public question form (public)."""

from dangjian.consult.views import kb, orders, public

app_name = "consult"
urlpatterns = [*kb.urlpatterns, *orders.urlpatterns, *public.urlpatterns]
