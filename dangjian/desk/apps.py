from django.apps import AppConfig


class DeskConfig(AppConfig):
    """12371's service desk: work orders, the hotline, live chats and agents, statistics."""

    name = "dangjian.desk"
    verbose_name = "12371 服务台"

    def ready(self) -> None:
        from dangjian.desk.services.orders import bot_contact, bot_handoff
        from dangjian.knowledge import handoff

        handoff.register(bot_handoff, bot_contact)
