"""12371 consultation: the knowledge base and bot (kb) and work orders and agents (orders)."""

from dangjian.consult.models.kb import *  # noqa: F403
from dangjian.consult.models.orders import *  # noqa: F403
