"""The demo's transfers: one in progress (the demo member's own), one completed."""

import pytest

from dangjian.transfers import demo
from dangjian.transfers.models import IncomingTransfer, Transfer

pytestmark = pytest.mark.django_db


def test_demo_seeds_one_in_progress_and_one_completed_once(cast):
    said = []
    demo.seed(root_user=cast.user["root"], seed=1, progress=said.append)
    pending = Transfer.objects.get(status="pending")
    assert pending.member == cast.member["B1m1"] and pending.to_branch == cast.org["B2"]
    assert pending.steps_done == 1
    done = Transfer.objects.get(status="completed")
    assert done.external and done.received_on is not None
    arrivals = dict(IncomingTransfer.objects.values_list("name", "status"))
    assert sorted(arrivals.values()) == ["accepted", "pending", "pending", "rejected"]
    waiting = IncomingTransfer.objects.filter(status="pending").order_by("steps_done")
    assert [i.steps_done for i in waiting] == [0, 2]  # at the 县委 (K1), at the branch
    accepted = IncomingTransfer.objects.get(status="accepted")
    assert accepted.member.branch == cast.org["B1"] and not accepted.reopened
    demo.seed(root_user=cast.user["root"], seed=1, progress=said.append)
    assert Transfer.objects.count() == 2 and IncomingTransfer.objects.count() == 4
    assert len(said) == 1
