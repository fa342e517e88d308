"""Payment providers behind one adapter: create order → pay page/QR → asynchronous
signed notification → query, refund.

A provider implements :class:`Provider`. The platform never trusts a notification it
has not verified: :meth:`Provider.parse_notice` checks the signature (and raises
:class:`BadSignature`) before anything is read from it. ``sandbox`` is a provider that
behaves like a real one — its own trade table, HMAC-SHA256 signed notifications sent
after payment (and once more, as real providers retry), failures, refunds and a pay page
— for development, the demo and the tests. docs/dues.md says how WeChat Pay, Alipay or
UnionPay plug in (their own signature schemes: RSA/SM2 certificates instead of HMAC).
"""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

SIGNATURE_HEADER = "X-Sandbox-Signature"


class BadSignature(Exception):
    """The notification's signature does not verify: it changes nothing."""


class ProviderError(Exception):
    """The provider refused a request (shown to the user in Chinese)."""


@dataclass(frozen=True)
class Order:
    pay_url: str  # where the payer's browser goes (H5 pay page); a QR encodes it on desktop


@dataclass(frozen=True)
class TradeState:
    notify_id: str
    out_trade_no: str
    txn_id: str
    amount_fen: int
    status: str  # SUCCESS, FAIL, NOTPAY, REFUND
    time: str


class Provider:
    name = ""
    label = ""

    def create_order(self, *, out_trade_no: str, amount_fen: int, subject: str) -> Order:
        raise NotImplementedError

    def parse_notice(self, body: bytes, headers) -> TradeState:
        """Verify and decode an asynchronous notification, or raise BadSignature."""
        raise NotImplementedError

    def query(self, out_trade_no: str) -> TradeState:
        raise NotImplementedError

    def refund(self, *, out_trade_no: str, amount_fen: int, refund_no: str) -> None:
        raise NotImplementedError

    def ack(self) -> dict:
        """What the notify endpoint answers so the provider stops retrying."""
        return {"code": "SUCCESS"}


def _sandbox_key() -> bytes:
    key = getattr(settings, "DUES_SANDBOX_KEY", "") or "sandbox:" + settings.SECRET_KEY
    return hashlib.sha256(key.encode()).digest()


def sign(body: bytes) -> str:
    return hmac.new(_sandbox_key(), body, hashlib.sha256).hexdigest()


class Sandbox(Provider):
    """A provider that lives in this database: pay page at /dues/sandbox/pay/<no>/."""

    name = "sandbox"
    label = "沙箱支付（演示）"

    def create_order(self, *, out_trade_no, amount_fen, subject) -> Order:
        from dangjian.dues.models import SandboxTrade

        SandboxTrade.objects.create(
            out_trade_no=out_trade_no,
            txn_id="SBX" + secrets.token_hex(12),
            amount_fen=amount_fen,
            notify_url=reverse(f"api:dues_notify_{self.name}"),
            return_url=reverse("dues:mine"),
        )
        return Order(pay_url=reverse("dues:sandbox_pay", args=[out_trade_no]))

    def notice_for(self, trade, status: str) -> tuple[bytes, dict]:
        """The signed notification the sandbox sends about ``trade`` (tests replay it)."""
        body = json.dumps(
            {
                "notify_id": secrets.token_hex(16),
                "out_trade_no": trade.out_trade_no,
                "txn_id": trade.txn_id,
                "amount_fen": trade.amount_fen,
                "status": status,
                "time": timezone.now().isoformat(),
            },
            sort_keys=True,
        ).encode()
        return body, {SIGNATURE_HEADER: sign(body)}

    def parse_notice(self, body, headers) -> TradeState:
        given = headers.get(SIGNATURE_HEADER, "")
        if not isinstance(given, str) or not hmac.compare_digest(given, sign(body)):
            raise BadSignature("签名校验失败")
        try:
            data = json.loads(body)
            return TradeState(
                notify_id=str(data["notify_id"]),
                out_trade_no=str(data["out_trade_no"]),
                txn_id=str(data["txn_id"]),
                amount_fen=int(data["amount_fen"]),
                status=str(data["status"]),
                time=str(data["time"]),
            )
        except (ValueError, KeyError, TypeError):
            raise BadSignature("通知格式错误") from None

    def query(self, out_trade_no) -> TradeState:
        from dangjian.dues.models import SandboxTrade

        trade = SandboxTrade.objects.filter(out_trade_no=out_trade_no).first()
        if trade is None:
            raise ProviderError("支付渠道无此订单")
        return TradeState("", trade.out_trade_no, trade.txn_id, trade.amount_fen, trade.status, "")

    def refund(self, *, out_trade_no, amount_fen, refund_no) -> None:
        from dangjian.dues.models import SandboxTrade

        trade = SandboxTrade.objects.select_for_update().filter(out_trade_no=out_trade_no).first()
        if trade is None or trade.status not in ("SUCCESS", "REFUND"):
            raise ProviderError("支付渠道：订单未支付，不能退款")
        if trade.refunded_fen + amount_fen > trade.amount_fen:
            raise ProviderError("支付渠道：退款金额超过订单金额")
        trade.refunded_fen += amount_fen
        trade.status = "REFUND"
        trade.save(update_fields=["refunded_fen", "status"])

    def pay(self, out_trade_no: str, *, succeed: bool) -> None:
        """The payer confirmed (or failed) on the pay page: update the trade and, after
        commit, deliver the signed notification — twice, as real providers retry."""
        from dangjian.dues import services
        from dangjian.dues.models import SandboxTrade

        with transaction.atomic():
            trade = SandboxTrade.objects.select_for_update().get(out_trade_no=out_trade_no)
            if trade.status == "NOTPAY":
                trade.status = "SUCCESS" if succeed else "FAIL"
                trade.save(update_fields=["status"])
            body, headers = self.notice_for(trade, trade.status)
        for _ in range(2):
            services.notice_receive(provider=self.name, body=body, headers=headers)


PROVIDERS: dict[str, Provider] = {"sandbox": Sandbox()}


def get(name: str) -> Provider:
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ProviderError("不支持的支付渠道") from None


def enabled() -> list[Provider]:
    names = getattr(settings, "DUES_PROVIDERS", ["sandbox"])
    return [PROVIDERS[n] for n in names if n in PROVIDERS]
