"""The live index: publishing, retiring and editing reach every process without a restart."""

import datetime as dt

import pytest

from dangjian.knowledge import index
from dangjian.knowledge.models import KbGeneration
from dangjian.knowledge.services import kb as services
from dangjian.knowledge.tests.kb_helpers import make_base, make_entry


@pytest.fixture
def two_processes(tmp_path):
    """Two index holders over one database, as two app servers would have."""
    return index.LiveIndex(tmp_path / "a", max_age=0), index.LiveIndex(tmp_path / "b", max_age=0)


def ids(holder, query):
    return [h.id for h in holder.get().ask(query, k=5).candidates]


def test_publish_reaches_an_index_built_before_it(cast, two_processes):
    first, second = two_processes
    make_base(cast.org["P"])
    assert len(first.get()) == len(second.get()) == 3
    entry = make_entry(cast.org["P"], publish=False, question="流动党员如何参加组织生活？")
    assert entry.pk not in ids(second, "流动党员如何参加组织生活")
    services.entry_publish(acting_user=None, entry=entry)
    assert entry.pk in ids(second, "流动党员如何参加组织生活")
    assert len(first.get()) == 4


def test_retire_and_edit_reach_the_other_holder(cast, two_processes):
    first, second = two_processes
    entries = make_base(cast.org["P"])
    second.get()
    services.entry_update(
        acting_user=None, entry=entries[2], alternatives=["入党以后要考察多久才转正"]
    )
    assert ids(second, "入党以后要考察多久才转正")[0] == entries[2].pk
    services.entry_retire(acting_user=None, entry=entries[0])
    assert entries[0].pk not in ids(second, "如何转接党组织关系")
    assert len(first.get()) == 2


def test_the_counter_is_read_at_most_once_per_max_age(cast, tmp_path, django_assert_num_queries):
    make_base(cast.org["P"])
    holder = index.LiveIndex(tmp_path / "i", max_age=60)
    holder.get()
    with django_assert_num_queries(0):
        holder.get()


def test_a_bump_from_another_process_is_applied_incrementally(cast, tmp_path):
    holder = index.LiveIndex(tmp_path / "i", max_age=0)
    entries = make_base(cast.org["P"])
    engine = holder.get()
    # Another process retires an entry: the row and the counter change in the database.
    entries[1].status = "retired"
    entries[1].save(update_fields=["status"])
    services.bump_generation([entries[1].pk])
    assert holder.get() is engine  # the same engine object, updated in place
    assert len(engine) == 2


def test_saved_index_is_loaded_then_caught_up(cast, tmp_path):
    path = tmp_path / "kb-index"
    make_base(cast.org["P"])
    index.LiveIndex(path, max_age=0).save()
    later = make_entry(cast.org["P"], question="民主评议党员多久进行一次？")
    fresh = index.LiveIndex(path, max_age=0)
    assert len(fresh.get()) == 4
    assert later.pk in ids(fresh, "民主评议党员多久进行一次")


def test_an_index_saved_for_another_database_is_rebuilt(cast, tmp_path):
    path = tmp_path / "kb-index"
    make_base(cast.org["P"])
    index.LiveIndex(path, max_age=0).save()
    KbGeneration.objects.filter(pk=1).delete()  # a new database: a new epoch
    make_entry(cast.org["P"], question="民主评议党员多久进行一次？")
    assert len(index.LiveIndex(path, max_age=0).get()) == 4


def test_expired_and_future_entries_are_not_indexed(cast, tmp_path):
    today = dt.date.today()
    make_entry(cast.org["P"], question="当前有效的问题是什么？")
    expired = make_entry(cast.org["P"], question="已经失效的问题是什么？")
    expired.valid_until = today - dt.timedelta(days=1)
    expired.save(update_fields=["valid_until"])
    make_entry(cast.org["P"], question="明天生效的问题是什么？", valid_from=today + dt.timedelta(1))
    holder = index.LiveIndex(tmp_path / "i", max_age=0)
    assert len(holder.get()) == 1
    assert services.refresh_validity(day=today) == 1  # the one that just expired


def test_warming_loads_the_index_in_a_thread(monkeypatch):
    """What an app server does as it starts (dangjian/wsgi.py): the index is loaded off
    the request path, and a failure there is only logged."""
    import threading

    loaded_in = []

    def get(self):
        loaded_in.append(threading.current_thread().name)
        raise RuntimeError("database not migrated yet")

    monkeypatch.setattr(index.LiveIndex, "get", get)
    index.reset()
    try:
        index.warm_in_background().join(timeout=60)
    finally:
        index.reset()
    assert loaded_in == ["kb-index-warm"]
