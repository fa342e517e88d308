"""Forms of the dues keeper's pages. Money is typed in yuan and handed to the services in
fen; field names are the services' own (``base_fen``…), so a refusal lands beside its
field."""

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError

from dangjian.core.uploads import human_size
from dangjian.dues import rules
from dangjian.dues.models import Channel, PayerKind

MSG_MONTH = "请按“2026-01”的格式填写月份"
MSG_CONFIRM = "请勾选确认后再退款"
MSG_FILE = "请选择 .xlsx 或 .csv 文件"
IMPORT_MAX_BYTES = 5 * 1024 * 1024
_MONTH = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})(?:[-/.月]\d{0,2}日?)?\s*$")


def parse_month(text: str) -> dt.date:
    """'2026-01', '2026-1', '2026年1月' or a date in that month → its first day."""
    found = _MONTH.match(text or "")
    if not found:
        raise ValidationError(MSG_MONTH)
    year, month = int(found.group(1)), int(found.group(2))
    if not (1900 <= year <= 2100 and 1 <= month <= 12):
        raise ValidationError(MSG_MONTH)
    return dt.date(year, month, 1)


def _yuan(text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return rules.yuan_to_fen(text)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _money(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=16,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class MonthInput(forms.TextInput):
    input_type = "month"


class BaseForm(forms.Form):
    """核定 one member's base from a month on."""

    category = forms.ChoiceField(label="类别", choices=rules.Category.choices)
    base_fen = _money(
        "交纳基数（元）",
        "在职：每月工资收入（税后）固定部分；离退休：月养老金；个体：上季度月平均纯收入",
    )
    voluntary_fen = _money("自愿交纳额（元）", "本人自愿多交时填写，高于按基数计算的金额时按此交纳")
    effective_month = forms.CharField(
        label="起始月份", max_length=10, widget=MonthInput(attrs={"placeholder": "2026-01"})
    )

    def clean_base_fen(self):
        return _yuan(self.cleaned_data["base_fen"])

    def clean_voluntary_fen(self):
        return _yuan(self.cleaned_data["voluntary_fen"])

    def clean_effective_month(self):
        return parse_month(self.cleaned_data["effective_month"])


class FarmerForm(forms.Form):
    """A branch's farmers' monthly amount (0.2–1 元)."""

    farmer_fen = _money("农民党员月交纳额（元）", "0.2 元至 1 元，由党支部确定")

    def clean_farmer_fen(self):
        fen = _yuan(self.cleaned_data["farmer_fen"])
        if fen is None:
            raise ValidationError(rules.MSG_FARMER_RANGE)
        return fen


class RecordForm(forms.Form):
    """登记 a cash or bank payment, 代缴 or 补缴, for the months picked."""

    months = forms.MultipleChoiceField(
        label="缴纳月份",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请选择要缴纳的月份"},
    )
    channel = forms.ChoiceField(
        label="方式",
        choices=[(Channel.CASH, Channel.CASH.label), (Channel.BANK, Channel.BANK.label)],
        widget=forms.RadioSelect,
        initial=Channel.CASH,
    )
    payer_kind = forms.ChoiceField(
        label="缴纳人", choices=PayerKind.choices, initial=PayerKind.SELF, required=False
    )
    payer_name = forms.CharField(
        label="代缴人姓名", required=False, max_length=50, help_text="亲属代缴时必填"
    )
    receipt_no = forms.CharField(
        label="收据号", required=False, max_length=40, help_text="不填则自动生成"
    )
    note = forms.CharField(label="备注", required=False, max_length=200)

    def __init__(self, *args, month_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["months"].choices = list(month_choices)

    def clean_payer_kind(self):
        return self.cleaned_data["payer_kind"] or PayerKind.SELF

    def clean_months(self):
        return [dt.date.fromisoformat(m) for m in self.cleaned_data["months"]]


class RefundForm(forms.Form):
    reason = forms.CharField(label="退款原因", max_length=200)
    confirm = forms.BooleanField(
        label="我已核实，确认退还这笔党费（所缴月份将重新计为未缴）",
        error_messages={"required": MSG_CONFIRM},
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="党费基数表（.xlsx 或 .csv）", error_messages={"required": MSG_FILE}
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise ValidationError(MSG_FILE)
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(f"文件过大：不能超过 {human_size(IMPORT_MAX_BYTES)}")
        return upload
