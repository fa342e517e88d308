"""/api/v1/consult: ask the bot, the knowledge base, work orders and statistics."""

from ninja import Router

from dangjian.consult.api import kb, orders

router = Router(tags=["12371 咨询"])
router.add_router("", kb.router)
router.add_router("", orders.router)
