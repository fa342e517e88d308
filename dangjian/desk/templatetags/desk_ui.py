"""Small filters of the 12371 pages: a share as a percentage, a wait as people say it."""

from django import template

from dangjian.desk import stats

register = template.Library()


@register.filter
def pct(value) -> str:
    """0.9612 → 96.1% (— for none)."""
    return stats.pct_text(value)


@register.filter
def duration(seconds) -> str:
    """4500 → 1 小时 15 分 (— for none)."""
    return stats.duration_text(seconds)
