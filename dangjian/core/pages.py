"""Small helpers shared by the server-rendered pages (views.py of each app)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.utils.functional import cached_property

from dangjian.core.errors import field_errors

PAGE_SIZE = 20
COUNT_CAP = 10_000  # a long list counts at most this many rows and says "10,000+"
MSG_NO_CHANGES = "没有修改任何内容"


def is_htmx(request) -> bool:
    """An htmx request wanting a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def apply_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: per field, the rest at the top."""
    for field, reasons in field_errors(exc).items():
        target = field if field in form.fields else None
        for message in reasons:
            form.add_error(target, message)


def error_messages(request, exc: ValidationError) -> None:
    """A service's refusal, as one error message per reason (for pages without a form)."""
    for reasons in field_errors(exc).values():
        for reason in reasons:
            messages.error(request, reason)


def form_error_messages(request, form) -> None:
    """An invalid form's errors as messages (a button's small form has nowhere to show
    them beside a field)."""
    for reasons in form.errors.values():
        for reason in reasons:
            messages.error(request, reason)


def form_submit(
    request,
    form,
    save: Callable[[dict], Any],
    *,
    success: str | Callable[[Any], str],
    then: Callable[[Any], HttpResponse],
) -> HttpResponse | None:
    """The POST half of every form page: a valid form → the service (``save`` with the
    cleaned data) → a success message and the page ``then`` gives for its result.

    The service's refusals land on the form's fields. ``None`` means "render the form"
    (a GET, an invalid form or a refusal); ``success`` may be worded from the result
    (工单号). A view reads::

        if response := form_submit(request, form, save, success=MSG, then=to_detail):
            return response
        return render(request, "app/form.html", {"form": form})
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = save(form.cleaned_data)
    except ValidationError as exc:
        apply_errors(form, exc)
        return None
    messages.success(request, success(result) if callable(success) else success)
    return then(result)


def edit_submit(
    request,
    form,
    update: Callable[[dict], Any],
    *,
    instance,
    success: str | Callable[[Any], str],
    then: Callable[[Any], HttpResponse],
    changes: Callable[[], dict] | None = None,
) -> HttpResponse | None:
    """``form_submit`` for an edit page: only the changed fields go to the service
    (``update(changes)``), and a form that changes nothing says so and goes to
    ``then(instance)`` without calling it. ``changes`` reads the form's changes where
    they are not simply its changed fields (secrets left blank to keep them)."""
    changed: dict = {}
    if request.method == "POST" and form.is_valid():
        changed = changes() if changes else {n: form.cleaned_data[n] for n in form.changed_data}
        if not changed:
            messages.info(request, MSG_NO_CHANGES)
            return then(instance)
    return form_submit(request, form, lambda _: update(changed), success=success, then=then)


def post_action(request, act: Callable[[], Any], *, success: str, form=None) -> bool:
    """The POST action → message loop of a button: run the service; report success or
    each refusal (and an invalid ``form``'s errors) as messages. The caller redirects."""
    if form is not None and not form.is_valid():
        form_error_messages(request, form)
        return False
    try:
        act()
    except ValidationError as exc:
        error_messages(request, exc)
        return False
    messages.success(request, success)
    return True


def list_filter(
    request,
    filterset_class,
    queryset,
    *,
    data=None,
    search: str = "",
    hidden: tuple[str, ...] = ("org",),
    all_label: str = "",
):
    """A list page's FilterSet (the one its API uses too, through ``apitools.filtered``),
    its form dressed for the page: ``hidden`` fields as hidden inputs, ``q`` a search box
    with the ``search`` placeholder, and with ``all_label`` each choice's empty option
    worded (全部). ``data`` defaults to the query string (unbound when there is none)."""
    filterset = filterset_class(
        request.GET or None if data is None else data, queryset=queryset, request=request
    )
    for name, field in filterset.form.fields.items():
        if name in hidden:
            field.widget = field.hidden_widget()
        elif name == "q" and search:
            field.widget.input_type = "search"
            field.widget.attrs.update({"placeholder": search, "autocomplete": "off"})
        elif all_label and hasattr(field, "empty_label"):
            choices = [c for c in field.choices if c[0] != ""]
            field.empty_label = all_label
            field.choices = choices  # re-wrapped: the blank choice now reads all_label
    return filterset


def list_results(filterset, org_lookup: Callable[[int], Any] | None = None):
    """The rows of a list page and the organisation it is narrowed to (``?org=``).

    A filter the form refuses shows nothing (its errors show on the form), never
    everything; ``org_lookup(pk)`` reads the organisation through the user's scope
    (``None`` when it is out of sight).
    """
    valid = not filterset.is_bound or filterset.is_valid()
    if not valid:
        return filterset.queryset.none(), None
    org_id = filterset.form.cleaned_data.get("org") if filterset.is_bound else None
    org = org_lookup(org_id) if org_lookup is not None and org_id is not None else None
    return filterset.qs, org


def query_text(request, name: str = "q", limit: int = 100) -> str:
    """A free-text query parameter, whitespace collapsed and NUL removed (PostgreSQL cannot
    compare text with NUL in it: a crafted URL would otherwise be a 500)."""
    return " ".join(request.GET.get(name, "").replace("\x00", "").split())[:limit]


def capped_count(queryset, cap: int | None = None) -> tuple[int, bool]:
    """``(n, capped)``: the rows, counted up to ``cap`` (``capped`` when there are more).

    A total known from summary rows (``ScopedQuerySet.with_count``) is exact and free;
    otherwise ``SELECT COUNT(*) FROM (… LIMIT cap + 1)``, which stops after ``cap + 1``
    rows instead of counting a province's 700,000 meetings for a 20-row page.
    """
    known = getattr(queryset, "_known_count", None)
    if known is not None:
        return known, False
    cap = COUNT_CAP if cap is None else cap
    n = queryset.order_by()[: cap + 1].count()
    return min(n, cap), n > cap


class CappedPaginator(Paginator):
    """A paginator counting at most :data:`COUNT_CAP` rows (see :func:`capped_count`):
    past it, the pages stop at the cap and ``count_label`` reads "10,000+"."""

    capped = False

    @cached_property
    def count(self) -> int:
        n, self.capped = capped_count(self.object_list)
        return n

    @property
    def count_label(self) -> str:
        return f"{self.count:,}+" if self.capped else str(self.count)


def paginate(request, queryset, per_page: int = PAGE_SIZE, *, capped: bool = False) -> Page:
    """One page of ``queryset``; a bad or out-of-range ?page= falls back, never 500s.
    ``capped``: for lists that can grow to a province's size (:class:`CappedPaginator`)."""
    paginator = (CappedPaginator if capped else Paginator)(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def vary_on_htmx(response):
    """Full page and fragment share a URL: caches must keep them apart."""
    from django.utils.cache import patch_vary_headers

    patch_vary_headers(response, ("HX-Request",))
    return response
