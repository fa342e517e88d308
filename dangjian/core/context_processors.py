"""Values every page template needs."""

from django.conf import settings


def ui(request) -> dict:
    """Elder mode (适老化) is a cookie the member toggles on any page."""
    return {
        "elder_mode": request.COOKIES.get("elder") == "1",
        "site_name": "智慧党建",
        "debug": settings.DEBUG,
    }
