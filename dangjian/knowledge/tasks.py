"""Jobs of the knowledge base: 每日一答, validity boundaries, the saved index.

All are idempotent for their slot (``dangjian run_jobs --due`` may re-run one killed
midway): the daily push deduplicates per member and day and resumes after its last
whole batch; the other two only re-stamp or re-save.
"""

import datetime as dt

from django.urls import reverse

from dangjian.core import jobs
from dangjian.core.calendar import TZ
from dangjian.knowledge.services import daily
from dangjian.knowledge.services import kb as services


def _day(at: dt.datetime) -> dt.date:
    return at.astimezone(TZ).date()


@jobs.periodic("0 8 * * *", name="consult.daily_answer")
def daily_answer(*, at: dt.datetime) -> int:
    """每日一答: push the day's curated Q&A to every current member's inbox at 08:00."""
    day = _day(at)
    return daily.daily_send(day=day, url=reverse("knowledge:daily") + f"#d{day:%Y%m%d}")


@jobs.periodic("5 0 * * *", name="consult.kb_validity")
def kb_validity(*, at: dt.datetime) -> int:
    """Just after midnight: entries whose validity starts or ends today enter or leave
    every live index."""
    return services.refresh_validity(day=_day(at))


@jobs.periodic("30 3 * * *", name="consult.kb_save_index")
def kb_save_index(*, at: dt.datetime) -> str:
    """Nightly: save the live index, so a (re)starting process loads it instead of
    building it (and catches up only the day's changes)."""
    from dangjian.knowledge import index  # the engine loads only where it is used

    return str(index.live().save())
