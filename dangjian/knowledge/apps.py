from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    """12371's knowledge base and bot: entries, retrieval, conversations, 每日一答."""

    name = "dangjian.knowledge"
    verbose_name = "12371 知识库与智能应答"
