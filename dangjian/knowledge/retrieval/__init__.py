"""Chinese FAQ retrieval for the 12371 bot — retrieval, not generation.

``Engine`` indexes knowledge-base entries (``Doc``) and answers a question with ranked
entries (``Hit``) and a calibrated confidence (``Answer``); below ``Engine.threshold`` the bot
hands off instead of guessing. See ``engine`` for the pipeline and ``calibration`` for how the
confidence is fitted.

The engine's names are imported on first use (PEP 562): the bot's date and dues answers
need only ``normalize`` and ``question``, and importing the engine loads pypinyin's phrase
dictionary, jieba, numpy and scipy (≈0.7 CPU-s), which every ``dangjian`` command paid at
start-up through ``desk.services`` → ``knowledge.compute`` though only the bot uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .normalize import normalize

if TYPE_CHECKING:
    from .engine import Answer, Doc, Engine, Hit

__all__ = ["Answer", "Doc", "Engine", "Hit", "normalize"]

_ENGINE_NAMES = frozenset({"Answer", "Doc", "Engine", "Hit"})


def __getattr__(name: str) -> object:
    if name in _ENGINE_NAMES:
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
