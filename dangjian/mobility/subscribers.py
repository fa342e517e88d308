"""What mobility does when other modules report (core.events, after their commit)."""

import datetime as dt

from django.contrib.auth import get_user_model

from dangjian.core import events
from dangjian.mobility import services


@events.subscriber("transfers.completed", retry=True)
def end_registration_on_transfer(event: events.Event) -> None:
    """A member whose relationship was transferred is no longer the home branch's
    流动党员: their active registration ends, as the user who recorded the 回执 (audited
    as ``mobility.registration.end``). Idempotent: a second delivery finds none active."""
    actor = get_user_model().objects.filter(pk=event["acting_user_id"]).first()
    if actor is None:
        return
    services.registration_end_on_transfer(
        acting_user=actor,
        member_id=event["member_id"],
        on=dt.date.fromisoformat(event["received_on"]),
        letter_no=event["letter_no"],
    )
