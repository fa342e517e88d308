"""The glue between the knowledge base in the database and the retrieval Engine.

Each process holds one :class:`LiveIndex` (module-level, :func:`live`), loaded lazily
from ``VAR_DIR/kb-index`` when a saved index matches this database, else built from the
published entries. Publishing, retiring or editing a published entry bumps the
database's :class:`~dangjian.knowledge.models.KbGeneration` and stamps the entry with the
new generation; every process checks the counter at most once a ``max_age`` (one
cheap primary-key read) and applies just the entries stamped since its own generation
through ``Engine.upsert`` / ``Engine.remove``. No restart, no message bus: the
database is the one source of truth, shared by every app server and worker.

An entry is in the index while it is published and within its validity dates; the
daily ``kb.refresh_validity`` job stamps entries whose dates have just been crossed.
Curated and imported entries (``Entry.tier``) are held in two engines behind one
:class:`~dangjian.knowledge.tiers.TieredEngine`, so the curated ones are answered first.
"""

import json
import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from dangjian.knowledge.models import Entry, EntryStatus, EntryTier, KbGeneration
from dangjian.knowledge.retrieval import Doc, Engine
from dangjian.knowledge.tiers import TieredEngine

log = logging.getLogger(__name__)

MAX_AGE = 1.0  # seconds between two looks at the generation counter
INDEX_DIR = "kb-index"
META_SUFFIX = ".meta.json"  # beside the index: kb-index.meta.json
BANK_SUFFIX = "-imported"  # the imported tier's engine: kb-index-imported
BATCH = 2000


def current_generation() -> tuple[int, str]:
    """(value, epoch) of the database's counter; the row is created on first use."""
    row, _ = KbGeneration.objects.get_or_create(pk=1)
    return row.value, str(row.epoch)


def to_doc(entry: Entry) -> Doc:
    return Doc(
        id=entry.pk,
        question=entry.question,
        alternatives=tuple(entry.alternatives or ()),
        category=entry.category,
        tags=tuple(entry.tags or ()),
        answer=entry.answer,
    )


def is_live(entry: Entry, day) -> bool:
    """In the index: published and within its validity dates on ``day``."""
    return entry.status == EntryStatus.PUBLISHED and entry.is_valid_on(day)


def _docs(entries: Iterable[Entry]) -> tuple[list[Doc], list[Doc]]:
    """The live entries as documents: (curated, imported)."""
    day = timezone.localdate()
    curated, bank = [], []
    for entry in entries:
        if is_live(entry, day):
            (bank if entry.tier == EntryTier.IMPORTED else curated).append(to_doc(entry))
    return curated, bank


INDEX_FIELDS = (
    "id",
    "question",
    "answer",
    "alternatives",
    "category",
    "tags",
    "status",
    "valid_from",
    "valid_until",
    "tier",
)


class LiveIndex:
    """A retrieval Engine kept in step with the database's published entries."""

    def __init__(self, path: Path | None = None, *, max_age: float = MAX_AGE):
        self.path = Path(path) if path is not None else Path(settings.VAR_DIR) / INDEX_DIR
        self.max_age = max_age
        self.engine: TieredEngine | None = None
        self.generation = -1
        self.epoch = ""
        self._checked = 0.0
        self._lock = threading.RLock()

    # --- the one call the bot makes

    def get(self) -> TieredEngine:
        """The engine, brought up to date if the counter has moved (checked ≤ 1/max_age s)."""
        now = time.monotonic()
        if self.engine is not None and now - self._checked < self.max_age:
            return self.engine
        with self._lock:
            self._checked = time.monotonic()
            value, epoch = current_generation()
            if self.engine is None or epoch != self.epoch or value < self.generation:
                self._load_or_build(value, epoch)
            elif value > self.generation:
                self._apply_since(self.generation, value)
            return self.engine

    # --- loading, building, applying

    def rebuild(self) -> TieredEngine:
        """Build from every live entry (the generation read first: nothing is missed)."""
        with self._lock:
            value, epoch = current_generation()
            engine = TieredEngine()
            entries = Entry.objects.filter(status=EntryStatus.PUBLISHED).only(*INDEX_FIELDS)
            curated, bank = _docs(entries.iterator(chunk_size=BATCH))
            engine.curated.build(curated)
            engine.bank.build(bank)
            self.engine, self.generation, self.epoch = engine, value, epoch
            self._checked = time.monotonic()
            return engine

    def _load_or_build(self, value: int, epoch: str) -> None:
        saved = self._read_meta()
        if saved and saved.get("epoch") == epoch and saved.get("generation", -1) <= value:
            try:
                self.engine = TieredEngine(Engine.load(self.path), Engine.load(self._bank_path))
            except Exception:  # a damaged or foreign file: rebuild rather than fail
                log.warning("知识库索引文件无法读取，将从数据库重建", exc_info=True)
            else:
                self.epoch = epoch
                self.generation = saved["generation"]
                if value > self.generation:
                    self._apply_since(self.generation, value)
                return
        self.rebuild()

    def _apply_since(self, since: int, value: int) -> None:
        """Upsert the live entries stamped after ``since``, remove the rest of them."""
        changed = Entry.objects.filter(generation__gt=since).only(*INDEX_FIELDS)
        day = timezone.localdate()
        upserts: dict[bool, list[Doc]] = {False: [], True: []}
        removals = []
        for entry in changed.iterator(chunk_size=BATCH):
            if is_live(entry, day):
                upserts[entry.tier == EntryTier.IMPORTED].append(to_doc(entry))
            else:
                removals.append(entry.pk)
        for imported, engine in ((False, self.engine.curated), (True, self.engine.bank)):
            gone = [pk for pk in removals if pk in engine]
            if gone:
                engine.remove(gone)
            if upserts[imported]:
                engine.upsert(upserts[imported])
        self.generation = value

    # --- persistence

    @property
    def _meta_path(self) -> Path:
        return self.path.with_name(self.path.name + META_SUFFIX)

    @property
    def _bank_path(self) -> Path:
        return self.path.with_name(self.path.name + BANK_SUFFIX)

    def _read_meta(self) -> dict | None:
        try:
            return json.loads(self._meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save(self) -> Path:
        """Write the index and the generation it reflects (next start loads, not builds)."""
        with self._lock:
            engine = self.get()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            engine.curated.save(self.path)
            engine.bank.save(self._bank_path)
            meta = {"generation": self.generation, "epoch": self.epoch, "size": len(engine)}
            self._meta_path.write_text(json.dumps(meta), encoding="utf-8")
            return self.path


_live: LiveIndex | None = None
_live_lock = threading.Lock()


def live() -> LiveIndex:
    """This process's index (created on first use)."""
    global _live
    if _live is None:
        with _live_lock:
            if _live is None:
                _live = LiveIndex()
    return _live


def reset() -> None:
    """Forget this process's index (tests; after a database restore)."""
    global _live
    _live = None


def warm_in_background() -> threading.Thread:
    """Load this process's index and the models (jieba, the sentence encoder) in a thread,
    so an app server's first question does not wait seconds for them. A failure (say, a
    database not migrated yet) is logged; the first question then loads it instead."""

    def warm() -> None:
        try:
            live().get()
        except Exception:
            log.warning("warming the knowledge-base index failed", exc_info=True)
        finally:
            from django.db import connection

            connection.close()  # this thread's own connection

    thread = threading.Thread(target=warm, name="kb-index-warm", daemon=True)
    thread.start()
    return thread
