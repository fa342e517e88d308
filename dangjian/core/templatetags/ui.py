"""Template helpers shared by every page: Chinese dates, the htmx partial switch."""

import datetime as dt

from django import template
from django.utils import timezone

from dangjian.core.periods import cn_day

register = template.Library()


@register.filter
def cn_date(value) -> str:
    """2026-11-22 → 2026年11月22日 (datetimes in local time); empty stays empty."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.date()
    if not isinstance(value, dt.date):
        return str(value)
    return cn_day(value)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (``page`` for pagination)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def main_menu(context):
    """The main menu for this request's user (core.menu): the phone bar's entries and
    the rest (under 更多)."""
    from dangjian.core.menu import menu_for

    request = context["request"]
    bar, more = menu_for(request, elder=context.get("elder_mode", False))
    return {"bar": bar, "more": more, "more_current": any(i.current for i in more)}


@register.filter
def holds(user, perm_name: str) -> bool:
    """Whether ``user`` holds the registered permission ``perm_name`` anywhere (a menu
    entry is offered only to those who may open it)."""
    from dangjian.core import scope

    return bool(scope.scope_paths(user, getattr(scope.Perm, perm_name)))
