"""A resident's ticket (群众诉求) on the case engine, for the engine's own tests."""

from django.conf import settings
from django.db import models

from dangjian.core.cases import CaseEvent, CaseModel
from dangjian.core.models import TimeStampedModel


class TicketStatus(models.TextChoices):
    NEW = "new", "待受理"
    ACCEPTED = "accepted", "已受理"
    HANDLING = "handling", "办理中"
    RESOLVED = "resolved", "已办结"
    REOPENED = "reopened", "重新办理"
    CLOSED = "closed", "已评价"


class Ticket(TimeStampedModel, CaseModel):
    """受理 → 移交 → 办理 → 办结 → 反馈评价, handled by an organisation."""

    status = models.CharField(
        "状态", max_length=20, choices=TicketStatus.choices, default="new", db_index=True
    )
    title = models.CharField("诉求", max_length=100)
    org = models.ForeignKey(
        "orgs.Organisation", verbose_name="承办组织", on_delete=models.PROTECT, related_name="+"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="反映人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    escalated_to = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="升级至",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.TextField("办理结果", blank=True)

    class Meta(CaseModel.Meta):
        verbose_name = "诉求"
        verbose_name_plural = "诉求"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class TicketEvent(CaseEvent):
    """One step of a ticket's history."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")

    class Meta:
        verbose_name = "诉求记录"
        verbose_name_plural = "诉求记录"
        ordering = ["ticket_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action}"
