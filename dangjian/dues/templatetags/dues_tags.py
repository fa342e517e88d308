from django import template

from dangjian.dues.rules import fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    return fen_to_yuan(int(fen or 0))
