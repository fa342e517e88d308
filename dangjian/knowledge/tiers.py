"""Two tiers of the knowledge base behind one ``ask``: curated entries first.

The curated entries (written by the editors) and the entries imported from public question
banks (``tier=imported``) are indexed in two engines. A question is asked of the curated
engine first; its confident answer stands. Otherwise the imported tier may answer, but only

- when its own decision is confident *and* at least ``BANK_MIN`` (stricter than the curated
  threshold: the decision was fitted on the curated base's domain, not on quiz stems),
- when the imported entry itself asks what the question asks (its pair-match probability at
  least ``BANK_MATCH``): the decision reads the candidates against each other, and among
  quiz stems on other subjects one stem can stand far ahead of the rest without matching
  ("去哪家医院看颈椎病好" against a stem on 颈椎病 care, match 0.14, decision 0.93), and
- when no curated entry fits the question (the curated top entry's pair-match probability
  below ``CURATED_FITS``): an imported entry never answers above a curated one that fits.

When neither answers, the curated candidates are offered, and the imported tier's best one
after them if it matches well. The bot (``services.bot``) and the member search call
``ask`` as they would an ``Engine``.
"""

from __future__ import annotations

from dataclasses import replace

from dangjian.knowledge.retrieval import Engine
from dangjian.knowledge.retrieval.engine import Answer

BANK_MIN = 0.9
BANK_MATCH = 0.5
CURATED_FITS = 0.5
BANK_SUGGEST = 0.8


class TieredEngine:
    """The curated engine and the imported one; ``ask`` as described above."""

    def __init__(self, curated: Engine | None = None, bank: Engine | None = None) -> None:
        self.curated = curated if curated is not None else Engine()
        self.bank = bank if bank is not None else Engine()

    @property
    def threshold(self) -> float:
        return self.curated.threshold

    def __len__(self) -> int:
        return len(self.curated) + len(self.bank)

    def __contains__(self, doc_id: int) -> bool:
        return doc_id in self.curated or doc_id in self.bank

    def ask(self, query: str, k: int = 5) -> Answer:
        first = self.curated.ask(query, k=k)
        if first.confident or not len(self.bank):
            return first
        fits = first.best is not None and first.best.confidence >= CURATED_FITS
        second = self.bank.ask(query, k=k)
        sure = (
            second.confident
            and second.confidence >= BANK_MIN
            and second.best is not None
            and second.best.confidence >= BANK_MATCH
        )
        if second.best is not None and sure and not fits:
            return replace(second, candidates=[second.best, *first.candidates][:k])
        candidates = list(first.candidates)
        if second.best is not None and second.best.confidence >= BANK_SUGGEST:
            candidates = [*candidates[: max(k - 1, 0)], second.best]
        return replace(first, candidates=candidates)

    def match(self, query: str, doc_id: int) -> float:
        engine = self.curated if doc_id in self.curated else self.bank
        return engine.match(query, doc_id)
