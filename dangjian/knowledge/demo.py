"""Demo data of the knowledge base and the bot (``make demo``), through the services.

The curated starter base (``knowledge/starter/*.jsonl``) is imported and published under
the province, and a year of 每日一答 is chosen up to the demo's reference date. The public
question banks (the lower tier, ≈11k entries) are not part of the seed, which tests run
too: ``make demo`` imports them afterwards with ``kb_import_banks --if-available
--save-index`` when ``../shared/data/kb-sources/`` exists. The bot's
traffic (members' conversations, hand-offs) is the service desk's demo
(``dangjian/desk/demo.py``), which runs after this one and asks through the services;
``backdate_turn`` lets it move a turn to its simulated moment. Deterministic; running it
twice adds nothing the second time.
"""

import datetime as dt
from pathlib import Path

from django.db.models import Case, Value, When

from dangjian.demo import clock
from dangjian.knowledge import imports
from dangjian.knowledge.models import Conversation, Entry, EntryTier, Message, MessageRole
from dangjian.knowledge.services import daily as daily_services
from dangjian.orgs.models import Organisation

STARTER = Path(__file__).parent / "starter"
DAILY_DAYS = 365


def seed(*, root_user, seed: int, progress) -> None:
    root = Organisation.objects.get_root_nodes().first()
    if root is None:
        return
    _starter(root, progress)
    _daily(progress)


def _starter(root, progress) -> None:
    if Entry.objects.filter(org=root, tier=EntryTier.CURATED).exists():
        return
    for path in sorted(STARTER.glob("*.jsonl")):
        outcome = imports.import_file(acting_user=None, org=root, path=path, publish=True)
        if outcome.errors:
            progress(f"知识库 {path.name}：{len(outcome.errors)} 处错误，未导入")
        else:
            progress(f"知识库 {path.name}：导入并发布 {outcome.created} 条")


def _daily(progress) -> None:
    for offset in range(DAILY_DAYS, -1, -1):
        daily_services.daily_pick(day=clock.today() - dt.timedelta(days=offset))
    progress(f"每日一答：{DAILY_DAYS + 1} 天")


def backdate_turn(result, when: dt.datetime, *, first: bool) -> None:
    """One turn of the bot (the question, then the reply a few seconds on) → ``when``.

    The service desk's demo simulates weeks of traffic through ``services.ask`` and moves
    what each call stamped back to the simulated moment with this."""
    changes = {"updated_at": when}
    if first:
        changes["created_at"] = when
    if result.handed_off:
        changes["handed_off_at"] = when
    Conversation.objects.filter(pk=result.conversation.pk).update(**changes)
    Message.objects.filter(conversation=result.conversation, created_at__gt=when).update(
        created_at=Case(
            When(role=MessageRole.USER, then=Value(when)),
            default=Value(when + dt.timedelta(seconds=2)),
        )
    )
