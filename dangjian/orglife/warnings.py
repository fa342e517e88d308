"""The kinds of warning (预警) organisational life raises (registered with core.warnings)."""

from dangjian.core import warnings

THEME_DAY_MISSING = warnings.register_kind(
    "orglife.theme_day_missing",
    label="主题党日未按时开展",
    doc="No 主题党日 held by the 20th of the month (德·红云); cleared when it is recorded.",
)
