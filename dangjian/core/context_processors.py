"""Values every page template needs."""

from django.conf import settings

from dangjian.core import notify


def ui(request) -> dict:
    """Elder mode (适老化) is a cookie the member toggles on any page; the unread count
    feeds the inbox badge in the top bar."""
    return {
        "unread_count": notify.unread_count(getattr(request, "user", None)),
        "elder_mode": request.COOKIES.get("elder") == "1",
        "site_name": "智慧党建",
        "debug": settings.DEBUG,
    }
