"""The hotline's voice menu (IVR): the options a caller hears, in order, replaced as a
whole by an admin over the organisation; validated, transactional, audited."""

from django.db import transaction

from dangjian.core import audit
from dangjian.core.errors import raise_if
from dangjian.core.scope import Perm, authorize
from dangjian.desk.models import IvrOption

IVR_MAX = 9
MSG_IVR_KEY = "按键应为 0–9、* 或 #，且不能重复"
MSG_IVR_LABEL = "请填写播报内容（不超过60字）"
MSG_IVR_QUEUE = "请填写转接队列（不超过40字）"
MSG_IVR_TOO_MANY = f"语音菜单最多 {IVR_MAX} 项（菜单越短，来电者越快找到服务）"
IVR_KEYS = frozenset("0123456789*#")


def ivr_validate(options: list[dict]) -> dict[str, str]:
    """Errors of a whole menu, keyed ``"<line>"`` (1-based) or ``"__all__"``."""
    errors: dict[str, str] = {}
    if len(options) > IVR_MAX:
        errors["__all__"] = MSG_IVR_TOO_MANY
    seen: set[str] = set()
    for number, option in enumerate(options, 1):
        key = option.get("key", "").strip()
        if key not in IVR_KEYS or key in seen:
            errors[str(number)] = MSG_IVR_KEY
        elif not 0 < len(option.get("label", "").strip()) <= 60:
            errors[str(number)] = MSG_IVR_LABEL
        elif not 0 < len(option.get("queue", "").strip()) <= 40:
            errors[str(number)] = MSG_IVR_QUEUE
        seen.add(key)
    return errors


@transaction.atomic
def ivr_menu_replace(*, acting_user, org, options: list[dict], ip: str | None = None) -> list:
    """Replace the hotline menu of ``org`` (an admin over it) with ``options`` in order."""
    authorize(acting_user, Perm.CHANGE_ORG, org.path, view_perm=Perm.VIEW_ORG)
    raise_if(ivr_validate(options))
    before = list(IvrOption.objects.filter(org=org).values("key", "label", "queue", "category"))
    IvrOption.objects.filter(org=org).delete()
    created = IvrOption.objects.bulk_create(
        IvrOption(
            org=org,
            position=number,
            key=o["key"].strip(),
            label=o["label"].strip(),
            queue=o["queue"].strip(),
            category=o.get("category", "").strip()[:40],
            script=o.get("script", "").strip(),
        )
        for number, o in enumerate(options, 1)
    )
    audit.record(
        actor=acting_user,
        action="consult.ivr.replace",
        org=org,
        before={"options": before},
        after={"options": [{"key": o.key, "label": o.label, "queue": o.queue} for o in created]},
        ip=ip,
    )
    return created
