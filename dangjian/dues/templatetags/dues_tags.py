from decimal import ROUND_HALF_UP, Decimal

from django import template

from dangjian.dues import selectors
from dangjian.dues.rules import fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    return fen_to_yuan(int(fen or 0))


@register.filter
def percent(rate) -> str:
    """A collection rate (0.0196, as a string or Decimal) as 1.96%; — when there is none."""
    if rate is None or rate == "":
        return "—"
    return f"{(Decimal(str(rate)) * 100).quantize(Decimal('0.01'), ROUND_HALF_UP)}%"


@register.filter
def keeps_dues(user) -> bool:
    return selectors.keeps_dues(user)
