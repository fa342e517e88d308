"""Small filters of the 12371 pages: a share as a percentage, a wait as people say it."""

from django import template
from django.template.defaultfilters import linebreaksbr

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


@register.filter
def message_html(message) -> str:
    """A conversation turn as the asker saw it: the bot's answers (an entry's, or computed)
    are Markdown, rendered as on the bot page (raw HTML off) so lists and 加粗 do not
    reach the agent as ``-`` and ``**``; anything else typed is text with its lines."""
    from dangjian.knowledge.selectors import answer_html

    answered = message.role == "bot" and (message.entry_id or message.confident)
    return answer_html(message.text) if answered else linebreaksbr(message.text, autoescape=True)


@register.filter
def rating_text(order) -> str:
    """An order's rating as its asker gave it: 满意/基本满意/不满意 at the end of a live chat
    (stored as 5/3/2 for the satisfaction figure), N 分 on the order's own page."""
    from dangjian.desk.services.chats import CHAT_RATINGS

    if order.rating is None:
        return ""
    if order.source == "chat":
        return dict(CHAT_RATINGS).get(order.rating, f"{order.rating} 分")
    return f"{order.rating} 分"
