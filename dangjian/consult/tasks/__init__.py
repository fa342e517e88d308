"""Jobs of the 12371 service (registered with core.jobs when imported)."""

from dangjian.consult.tasks import kb, orders  # noqa: F401
