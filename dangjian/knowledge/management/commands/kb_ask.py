"""`dangjian kb_ask "问题" [--json]`: ask the bot from the command line (no user).

Prints the same JSON as ``POST /api/v1/consult/ask``. The question is recorded as a
conversation of channel ``cli``; a question the bot is not sure of is handed off like any
other, so the hotline sees it.
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangjian.knowledge.models import Channel
from dangjian.knowledge.services import bot


class Command(BaseCommand):
    help = "向智能应答提问（与 POST /api/v1/consult/ask 返回相同的 JSON）"

    def add_arguments(self, parser):
        parser.add_argument("question")
        parser.add_argument("--json", action="store_true", dest="as_json", help="以 JSON 输出")

    def handle(self, *args, question, as_json, **options):
        try:
            result = bot.ask(user=None, question=question, channel=Channel.CLI)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        body = result.as_json()
        if as_json:
            self.stdout.write(json.dumps(body, ensure_ascii=False))
            return
        self.stdout.write(body["answer"])
        if body["source"]:
            self.stdout.write(f"依据：{body['source']}")
        for candidate in body["candidates"]:
            self.stdout.write(
                f"  您是不是想问：{candidate['question']}（{candidate['confidence']:.0%}）"
            )
        self.stdout.write(f"置信度 {body['confidence']:.2f}")
