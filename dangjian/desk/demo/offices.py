"""The province centre's 业务处室 (协商联动) and each desk's 常用答复."""

from dangjian.accounts.models import RoleAssignment
from dangjian.core.scope import Role
from dangjian.desk.demo.base import Desk
from dangjian.desk.demo.script import (
    CANNED,
    OFFICES,
)
from dangjian.desk.models import (
    Office,
)
from dangjian.desk.services import orders as services_orders
from dangjian.desk.services import routing as services_routing
from dangjian.orgs.models import Organisation


def _offices(root: Organisation, root_user) -> None:
    """The province centre's 业务处室 (协商联动), each with its 责任人 and 联络员."""
    if Office.objects.filter(org=root).exists():
        return
    handler = (
        RoleAssignment.objects.filter(org=root, role=Role.HANDLER, user__is_active=True)
        .order_by("user_id")
        .first()
    )
    for number, (name, categories, (lead, lead_phone), (liaison, liaison_phone)) in enumerate(
        OFFICES
    ):
        linked = handler.user if handler is not None and number == 0 else None
        services_routing.office_create(
            acting_user=root_user,
            org=root,
            name=name,
            categories=list(categories),
            lead_name=lead,
            lead_phone=lead_phone,
            liaison=linked,
            liaison_name="" if linked else liaison,
            liaison_phone=liaison_phone,
        )


def _canned(desk: Desk) -> None:
    """常用答复 for each 12371 desk (the province's for everyone, a few of their own)."""
    for path, users in sorted(desk.agents.items()):
        org = Organisation.objects.get(path=path)
        for level, title, category, text in CANNED:
            if level == org.depth:
                services_orders.canned_create(
                    acting_user=users[0], org=org, title=title, text=text, category=category
                )
    if desk.root.path not in desk.agents:
        for level, title, category, text in CANNED:
            if level == 1:
                services_orders.canned_create(
                    acting_user=desk.root_user,
                    org=desk.root,
                    title=title,
                    text=text,
                    category=category,
                )
