"""Members' periodic jobs (registered with core.jobs when core autodiscovers tasks)."""

import datetime as dt

from dangjian.core import jobs, rollups
from dangjian.core.calendar import TZ
from dangjian.members import birthdays  # noqa: F401  registers members.political_birthdays
from dangjian.members.metrics import branches_crossing_bands

# Re-mark a week of birthdays, so a few missed days (an outage) are caught up; after a
# longer one, ``dangjian rollups_rebuild``.
AGE_BAND_LOOKBACK = dt.timedelta(days=7)


@jobs.periodic("5 0 * * *", name="members.age_band_marks")
def age_band_marks(*, at: dt.datetime) -> None:
    """Mark the branches whose members changed age band (a birthday, no write): the
    next ``core.rollups_refresh`` recounts them. Marking twice is harmless."""
    today = at.astimezone(TZ).date()
    rollups.mark_dirty(*branches_crossing_bands(today - AGE_BAND_LOOKBACK, today))
