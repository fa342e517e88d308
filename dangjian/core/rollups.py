"""Subtree figures (汇总数) by organisation and period, read in a handful of rows.

"How many members does the province have, by education?" is a scan of 2.6 million rows
if it is asked of the members table. Here it is asked of :class:`~dangjian.core.models.Rollup`
rows keyed by (organisation, metric, period, key), each holding the total of the
organisation's WHOLE subtree: the province's breakdown is one row per key.

Metrics belong to the apps that own the data. An app registers each one in its
``AppConfig.ready`` (core imports no app)::

    rollups.register(metric="members.education", compute=fn, perm=Perm.VIEW_MEMBER,
                     label="党员学历", keys=dict(Education.choices))

``fn(orgs)`` gets a queryset of organisations and yields ``(org_id, period, key, n)``:
the figures hanging on those organisations themselves (a branch's own members), not
their subtrees. ``period`` is :data:`CURRENT` ("") for a snapshot (members now) or a
month key "2026-11" for a flow (meetings held that month; quarters and years are
summed from months when read, with :mod:`dangjian.core.periods`).

Keeping the totals current:

- A service that changes what a metric counts calls :func:`mark_dirty` with the
  organisations it touched, inside its transaction (the mark commits with the change).
- The periodic job ``core.rollups_refresh`` (every minute, :func:`refresh`) recounts
  the marked organisations' own figures, compares them with the stored ``own`` and adds
  the difference to the organisation and each of its ancestors — so a write is in the
  province's figures a minute or two later.
- An organisation moving carries its rows along (they hang on it); :func:`subtree_moved`,
  called by the move service in its transaction, takes its totals off the old ancestors
  and puts them on the new ones.
- ``dangjian rollups_rebuild`` (:func:`rebuild`) recounts everything, one subtree at a
  time, resumably — after an import that bypassed the services, or to check.

Invariant (the property test's): once no mark is pending, every organisation's row
equals a direct count over its subtree. Marks, deltas, moves and rebuilds take one lock
(:data:`LOCK`), so they never interleave; a change committed after a recount has left its
mark and is picked up by the next run.

Reading goes through :meth:`Rollup.objects.visible_to` with the metric's permission:
an organisation outside the user's scope simply has no figures.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dangjian.core import locks
from dangjian.core.calendar import TZ
from dangjian.core.models import Rollup, RollupDirty, RollupRebuild
from dangjian.core.periods import Period, parse_period
from dangjian.core.scope import Perm, ancestor_paths, covers, path_q, prefix_free

CURRENT = ""  # the period of a snapshot metric: as things stand now
LOCK = "core.rollups"
BATCH = 500  # organisations recounted per transaction by refresh()
CHUNK_DEPTH = 2  # rebuild() works one subtree at this depth (a city) at a time
WRITE_BATCH = 2000

Figure = tuple[int, str, str, int]  # (org_id, period, key, n)
Compute = Callable[[QuerySet], Iterable[Figure]]
RowKey = tuple[int, str, str, str]  # (org_id, metric, period, key)

MSG_UNKNOWN_METRIC = "没有名为 {name} 的汇总指标"
MSG_SNAPSHOT_PERIOD = "该指标只有当前数，不能按期间查询"
MSG_PERIOD_REQUIRED = "该指标按期间统计，请指定期间（如 2026-11、2026Q4 或 2026）"


@dataclass(frozen=True)
class Metric:
    """A registered figure: how to count it and who may read it."""

    name: str
    compute: Compute = field(compare=False)
    perm: Perm
    label: str = ""
    monthly: bool = False  # rows per month (a flow) instead of one current snapshot
    keys: dict[str, str] = field(default_factory=dict, compare=False)  # key → label, in order


_METRICS: dict[str, Metric] = {}


def register(
    *,
    metric: str,
    compute: Compute,
    perm: Perm,
    label: str = "",
    monthly: bool = False,
    keys: dict[str, str] | None = None,
) -> Metric:
    """Declare a metric (from the owning app's ``AppConfig.ready``)."""
    entry = Metric(metric, compute, perm, label, monthly, dict(keys or {}))
    known = _METRICS.get(metric)
    if known is not None and known.compute is not compute:
        raise ValueError(f"rollup metric {metric!r} registered twice")
    _METRICS[metric] = entry
    return entry


def metrics() -> list[Metric]:
    return sorted(_METRICS.values(), key=lambda m: m.name)


def get_metric(name: str) -> Metric:
    try:
        return _METRICS[name]
    except KeyError:
        raise KeyError(MSG_UNKNOWN_METRIC.format(name=name)) from None


def _org_model():
    return apps.get_model(settings.ORG_MODEL)


# --- Marking and settling ---------------------------------------------------------------


def mark_dirty(*orgs) -> None:
    """Note that these organisations' own figures changed. Call inside the write's
    transaction: the mark commits (or rolls back) with the change.

    An upsert, not an insert-or-ignore: updating an existing mark takes its row lock, so
    a refresh that is clearing the mark waits for this transaction and then counts it.
    """
    ids = sorted({getattr(org, "pk", org) for org in orgs if org is not None})
    if not ids:
        return
    now = timezone.now()
    RollupDirty.objects.bulk_create(
        [RollupDirty(org_id=pk, marked_at=now) for pk in ids],
        update_conflicts=True,
        unique_fields=["org"],
        update_fields=["marked_at"],
    )


def pending() -> int:
    """Organisations marked and not yet summed up."""
    return RollupDirty.objects.count()


def refresh(*, batch: int = BATCH) -> int:
    """Fold every mark present at the call into the totals; returns organisations done.

    Per batch, in one transaction under :data:`LOCK`: delete the marks, recount those
    organisations' own figures, add the differences up their ancestor chains. Deleting
    first matters: a write still open on a mark makes the delete wait for its commit,
    and a write that marks after the delete leaves a new mark for the next run.
    """
    cutoff = timezone.now()
    done = 0
    while True:
        with transaction.atomic():
            locks.serialize(LOCK)
            ids = list(
                RollupDirty.objects.filter(marked_at__lte=cutoff)
                .order_by("marked_at", "org_id")
                .values_list("org_id", flat=True)[:batch]
            )
            if not ids:
                return done
            RollupDirty.objects.filter(org_id__in=ids).delete()
            _settle(ids)
        done += len(ids)


def _own_figures(orgs: QuerySet) -> dict[RowKey, int]:
    """Fresh own figures of ``orgs`` for every registered metric (zeros left out)."""
    fresh: dict[RowKey, int] = defaultdict(int)
    for metric in _METRICS.values():
        for org_id, period, key, n in metric.compute(orgs):
            if n:
                fresh[(org_id, metric.name, period, str(key))] += n
    return fresh


def _settle(org_ids: list[int]) -> None:
    """Recount the organisations' own figures and send the differences up the tree."""
    fresh = _own_figures(_org_model().objects.filter(pk__in=org_ids))
    stored = {
        (org_id, metric, period, key): own
        for org_id, metric, period, key, own in Rollup.objects.filter(
            org_id__in=org_ids, own__gt=0, metric__in=list(_METRICS)
        ).values_list("org_id", "metric", "period", "key", "own")
    }
    changed = {
        k: fresh.get(k, 0)
        for k in fresh.keys() | stored.keys()
        if fresh.get(k, 0) != stored.get(k, 0)
    }
    if not changed:
        return
    chains = _chains({k[0] for k in changed})
    deltas: dict[RowKey, int] = defaultdict(int)
    for (org_id, metric, period, key), own in changed.items():
        diff = own - stored.get((org_id, metric, period, key), 0)
        for target in chains.get(org_id, ()):
            deltas[(target, metric, period, key)] += diff
    _apply(deltas, own=changed)


def _chains(org_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each organisation's ancestors and itself, root first (by materialized path)."""
    model = _org_model()
    paths = dict(model.objects.filter(pk__in=list(org_ids)).values_list("pk", "path"))
    chains = {pk: ancestor_paths(path, include_self=True) for pk, path in paths.items()}
    prefixes = {prefix for chain in chains.values() for prefix in chain}
    by_path = dict(model.objects.filter(path__in=prefixes).values_list("path", "pk"))
    return {pk: [by_path[p] for p in chain if p in by_path] for pk, chain in chains.items()}


def _apply(deltas: dict[RowKey, int], *, own: dict[RowKey, int] | None = None) -> None:
    """Add ``deltas`` to the rows' values and set ``own`` where given (under LOCK)."""
    own = own or {}
    touched = {k for k, d in deltas.items() if d} | set(own)
    if not touched:
        return
    existing = {
        (r.org_id, r.metric, r.period, r.key): r
        for r in Rollup.objects.filter(
            org_id__in={k[0] for k in touched},
            metric__in={k[1] for k in touched},
            period__in={k[2] for k in touched},
        )
    }
    updated, created, emptied = [], [], []
    for row_key in touched:
        row = existing.get(row_key)
        if row is None:
            org_id, metric, period, key = row_key
            row = Rollup(org_id=org_id, metric=metric, period=period, key=key, value=0, own=0)
        row.value += deltas.get(row_key, 0)
        row.own = own.get(row_key, row.own)
        if row.pk is None:
            if row.value:
                created.append(row)
        elif row.value == 0 and row.own == 0:
            emptied.append(row.pk)
        else:
            updated.append(row)
    Rollup.objects.filter(pk__in=emptied).delete()
    Rollup.objects.bulk_update(updated, ["value", "own"], batch_size=WRITE_BATCH)
    Rollup.objects.bulk_create(created, batch_size=WRITE_BATCH)


def subtree_moved(org, *, old_parent) -> None:
    """Carry a moved organisation's totals from its old ancestors to its new ones.

    Call in the move's transaction, after the move. The organisation's own rows and its
    descendants' rows hang on them and need nothing; only the ancestors that are not
    common to both sides change (the province, above both cities, does not).
    """
    locks.serialize(LOCK)
    chains = _chains([org.pk, old_parent.pk])
    new_side = set(chains[org.pk]) - {org.pk}
    old_side = set(chains[old_parent.pk])
    deltas: dict[RowKey, int] = defaultdict(int)
    for metric, period, key, value in Rollup.objects.filter(org_id=org.pk).values_list(
        "metric", "period", "key", "value"
    ):
        for target in old_side - new_side:
            deltas[(target, metric, period, key)] -= value
        for target in new_side - old_side:
            deltas[(target, metric, period, key)] += value
    _apply(deltas)


# --- Full rebuild -----------------------------------------------------------------------


def rebuild(*, restart: bool = False, progress: Callable[[str], None] | None = None):
    """Recount every figure from scratch, one subtree (a city) per transaction.

    Resumable: a killed run continues after the last finished subtree (``restart`` starts
    over). The organisations above the subtrees (the province) are summed from the
    subtrees' roots last. Marks pending meanwhile stay valid: they settle to nothing, or
    to what changed after the recount.
    """
    say = progress or (lambda _line: None)
    model = _org_model()
    chunks = list(
        model.objects.filter(depth=CHUNK_DEPTH).order_by("path").values_list("path", flat=True)
    )
    run = None if restart else RollupRebuild.objects.filter(finished_at__isnull=True).first()
    if run is None:
        run = RollupRebuild.objects.create(started_at=timezone.now(), chunks_total=len(chunks))
    else:
        say(f"继续上次未完成的重建（已完成 {run.chunks_done}/{run.chunks_total}）")
    for path in chunks:
        if path <= run.last_path:
            continue
        with transaction.atomic():
            locks.serialize(LOCK)
            rows = _rebuild_subtree(path)
            run.chunks_done += 1
            run.last_path = path
            run.save(update_fields=["chunks_done", "last_path"])
        say(f"汇总重建：{run.chunks_done}/{len(chunks)} 段，{path} 写入 {rows} 行")
    with transaction.atomic():
        locks.serialize(LOCK)
        rows = _rebuild_top()
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
    say(f"汇总重建完成：上层组织写入 {rows} 行")
    return run


def _sum_up(own: dict[RowKey, int], paths: dict[int, str], ids: dict[str, int], floor: int):
    """Subtree totals from own figures: each figure added to its organisation and every
    ancestor whose path is at least ``floor`` long (and known in ``ids``)."""
    totals: dict[RowKey, int] = defaultdict(int)
    for (org_id, metric, period, key), n in own.items():
        for prefix in ancestor_paths(paths[org_id], include_self=True):
            target = ids.get(prefix) if len(prefix) >= floor else None
            if target is not None:
                totals[(target, metric, period, key)] += n
    return totals


def _write(totals: dict[RowKey, int], own: dict[RowKey, int]) -> int:
    rows = (
        Rollup(org_id=o, metric=m, period=p, key=k, value=v, own=own.get((o, m, p, k), 0))
        for (o, m, p, k), v in totals.items()
        if v
    )
    created = Rollup.objects.bulk_create(rows, batch_size=WRITE_BATCH)
    return len(created)


def _rebuild_subtree(path: str) -> int:
    model = _org_model()
    orgs = model.objects.filter(path__startswith=path)
    own = _own_figures(orgs)
    paths = dict(orgs.values_list("pk", "path"))
    totals = _sum_up(own, paths, {p: pk for pk, p in paths.items()}, len(path))
    Rollup.objects.filter(org__path__startswith=path).delete()
    return _write(totals, own)


def _rebuild_top() -> int:
    """The organisations above the rebuilt subtrees: their own figures plus the totals
    of the subtree roots under them."""
    model = _org_model()
    top = model.objects.filter(depth__lt=CHUNK_DEPTH)
    own = _own_figures(top)
    paths = dict(top.values_list("pk", "path"))
    roots = dict(model.objects.filter(depth=CHUNK_DEPTH).values_list("pk", "path"))
    below: dict[RowKey, int] = {
        (org_id, metric, period, key): value
        for org_id, metric, period, key, value in Rollup.objects.filter(
            org__depth=CHUNK_DEPTH
        ).values_list("org_id", "metric", "period", "key", "value")
    }
    ids = {p: pk for pk, p in paths.items()}
    totals = _sum_up({**own, **below}, {**paths, **roots}, ids, 0)
    Rollup.objects.filter(org__depth__lt=CHUNK_DEPTH).delete()
    return _write(totals, own)


# --- Reading ----------------------------------------------------------------------------


def _period_keys(metric: Metric, period: str | Period | None) -> list[str]:
    if not metric.monthly:
        if period not in (None, CURRENT):
            raise ValueError(MSG_SNAPSHOT_PERIOD)
        return [CURRENT]
    if period in (None, CURRENT):
        raise ValueError(MSG_PERIOD_REQUIRED)
    if not isinstance(period, Period):
        period = parse_period(period)
    return [month.key for month in period.months]


def breakdowns(
    user, orgs: Iterable, metric: str, period: str | Period | None = None
) -> dict[int, dict[str, int]]:
    """Each organisation's subtree figure by key, in one query: ``{org_id: {key: n}}``.

    Only what ``user`` may read under the metric's permission; an organisation outside
    the scope gets an empty breakdown (as if it had nothing), never its numbers. Keys
    come in the metric's declared order; a monthly metric sums the period's months.
    """
    entry = get_metric(metric)
    org_ids = [getattr(org, "pk", org) for org in orgs]
    result: dict[int, dict[str, int]] = {pk: {} for pk in org_ids}
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        Rollup.objects.visible_to(user, entry.perm)
        .filter(org_id__in=org_ids, metric=metric, period__in=_period_keys(entry, period))
        .values_list("org_id", "key", "value")
    )
    for org_id, key, value in rows:
        sums[org_id][key] += value
    order = {key: i for i, key in enumerate(entry.keys)}
    for org_id, by_key in sums.items():
        result[org_id] = dict(
            sorted(by_key.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
        )
    return result


def breakdown(user, org, metric: str, period: str | Period | None = None) -> dict[str, int]:
    """The organisation's whole-subtree figure by key (see :func:`breakdowns`)."""
    return breakdowns(user, [org], metric, period)[getattr(org, "pk", org)]


def _settled() -> bool:
    """Whether the rows hold every organisation's figures: a full rebuild has finished
    (a deployment whose data predates the metric has none before) and none is running
    (while one runs, the levels above its subtrees lag behind them)."""
    runs = RollupRebuild.objects.aggregate(
        done=Count("pk", filter=Q(finished_at__isnull=False)),
        running=Count("pk", filter=Q(finished_at__isnull=True)),
    )
    return bool(runs["done"]) and not runs["running"]


def settled() -> bool:
    """Whether every organisation's rows can be read as they stand (see :func:`_settled`):
    a reader that gets ``False`` computes its figures directly."""
    return _settled()


def current_breakdowns(user, orgs: Iterable, metric: str) -> dict[int, dict[str, int]] | None:
    """Each organisation's subtree figure of a snapshot metric as it stands *now*, by key:
    exact, not a refresh behind (``{org_id: {key: n}}``, as :func:`breakdowns`).

    A row's value is the sum of the stored ``own`` figures over the subtree, so it differs
    from a direct count only at the organisations marked since the last refresh: their
    figures are recounted here and the difference to their stored ``own`` is added. That
    is a handful of rows and the few marked branches, whatever the subtree's size. The
    marks are read first, so a refresh committing meanwhile leaves nothing counted twice.

    ``None`` when the rows cannot be trusted (no full rebuild has finished, or one is
    running): the caller counts directly then.
    """
    entry = get_metric(metric)
    if entry.monthly:
        raise ValueError(MSG_SNAPSHOT_PERIOD)
    if not _settled():
        return None
    orgs = list(orgs)
    result: dict[int, dict[str, int]] = {org.pk: {} for org in orgs}  # out of scope: nothing
    orgs = [org for org in orgs if covers(user, entry.perm, org.path)]
    marked = (
        dict(
            RollupDirty.objects.filter(path_q(prefix_free(o.path for o in orgs), "org__path"))
            .values_list("org_id", "org__path")
            .order_by()
        )
        if orgs
        else {}
    )
    value: dict[int, dict[str, int]] = defaultdict(dict)
    own: dict[int, dict[str, int]] = defaultdict(dict)
    rows = Rollup.objects.visible_to(user, entry.perm).filter(
        org_id__in={o.pk for o in orgs} | set(marked), metric=metric, period=CURRENT
    )
    for org_id, key, n, own_n in rows.values_list("org_id", "key", "value", "own"):
        value[org_id][key] = n
        own[org_id][key] = own_n
    fresh: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if marked:
        for org_id, _period, key, n in entry.compute(_org_model().objects.filter(pk__in=marked)):
            fresh[org_id][str(key)] += n
    order = {key: i for i, key in enumerate(entry.keys)}
    for org in orgs:
        sums = defaultdict(int, value[org.pk])
        for pk, path in marked.items():
            if path.startswith(org.path):
                for key in fresh[pk].keys() | own[pk].keys():
                    sums[key] += fresh[pk].get(key, 0) - own[pk].get(key, 0)
        result[org.pk] = dict(
            sorted(
                ((k, n) for k, n in sums.items() if n),
                key=lambda kv: (order.get(kv[0], len(order)), kv[0]),
            )
        )
    return result


def total(user, org, metric: str, period: str | Period | None = None) -> int:
    return sum(breakdown(user, org, metric, period).values())


def labelled(metric: str, figures: dict[str, int]) -> list[tuple[str, str, int]]:
    """(key, label, n) for display, with the metric's labels."""
    labels = get_metric(metric).keys
    return [(key, labels.get(key, key), n) for key, n in figures.items()]


def local_month(moment: dt.datetime | dt.date) -> str:
    """The month key ("2026-11") of a moment in China time, for monthly metrics."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(TZ) if timezone.is_aware(moment) else moment
    return f"{moment.year}-{moment.month:02d}"
