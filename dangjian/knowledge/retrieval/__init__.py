"""Chinese FAQ retrieval for the 12371 bot — retrieval, not generation.

``Engine`` indexes knowledge-base entries (``Doc``) and answers a question with ranked
entries (``Hit``) and a calibrated confidence (``Answer``); below ``Engine.threshold`` the bot
hands off instead of guessing. See ``engine`` for the pipeline and ``calibration`` for how the
confidence is fitted.
"""

from .engine import Answer, Doc, Engine, Hit
from .normalize import normalize

__all__ = ["Answer", "Doc", "Engine", "Hit", "normalize"]
