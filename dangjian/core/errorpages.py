"""Every error answer in Chinese: the site's layout for pages, ``{"detail": ...}`` under
/api/. The handlers (``handler403``, ``handler404``, ``CSRF_FAILURE_VIEW``) serve them
with DEBUG off; :class:`ErrorPageMiddleware` serves the same pages with DEBUG on, where
Django would answer a missing page with its English debug page (a 403 always goes
through ``handler403``). ``handler400`` is ``core.views.bad_request``, ``handler500``
``core.failures.server_error``.
"""

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import render

MSG_NOT_FOUND = "未找到"
MSG_FORBIDDEN = "您没有权限执行此操作"
MSG_CSRF = "页面已过期或浏览器禁用了 Cookie，请刷新页面后重新提交"


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": MSG_NOT_FOUND}, status=404)
    return render(request, "404.html", status=404)


def permission_denied(request, exception=None):
    message = str(exception) if exception is not None and str(exception) else MSG_FORBIDDEN
    if _is_api(request):
        return JsonResponse({"detail": message}, status=403)
    return render(request, "403.html", {"message": message}, status=403)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent from a stale page or without the cookie."""
    if _is_api(request):
        return JsonResponse({"detail": MSG_CSRF}, status=403)
    return render(request, "403_csrf.html", {"message": MSG_CSRF}, status=403)


class ErrorPageMiddleware:
    """With DEBUG on, a page that is not found gets the site's Chinese page, not Django's
    debug page: a view's ``Http404`` (``process_exception``), and an address that matches
    no URL (the response of a request that resolved to no view)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
            and not getattr(response, "streaming", False)
        ):
            return page_not_found(request)
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
