from django.apps import AppConfig


class ConsultConfig(AppConfig):
    """The former 12371 app, now only the migration history of its tables.

    Its models live in ``knowledge`` (the knowledge base and the bot) and ``desk`` (the
    service desk) under their old table names; migration 0006 hands them over. Existing
    databases have consult 0001–0005 applied, and a fresh one builds the tables through
    them, so the app stays installed until every deployment has passed 0006.
    """

    name = "dangjian.consult"
    verbose_name = "12371 党建咨询（迁移记录）"
