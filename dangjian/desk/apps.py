from django.apps import AppConfig
from django.urls import reverse


class DeskConfig(AppConfig):
    """12371's service desk: work orders, the hotline, live chats and agents, statistics."""

    name = "dangjian.desk"
    verbose_name = "12371 服务台"

    def ready(self) -> None:
        from dangjian.desk.services.lookup import bot_contact_needed, bot_lookup_code
        from dangjian.desk.services.orders import bot_contact, bot_handoff, bot_open_chat
        from dangjian.knowledge import handoff

        handoff.register(bot_handoff, bot_contact)
        handoff.register_chat(bot_open_chat, lambda pk: reverse("desk:live_chat", args=[pk]))
        handoff.register_lookup(bot_lookup_code, bot_contact_needed)
