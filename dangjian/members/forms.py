"""Forms of the member pages. They parse input; members.services decides what is valid."""

from django import forms
from django.utils import timezone

from dangjian.core import idcard
from dangjian.core.phone import normalize_phone
from dangjian.core.text import NameFormField
from dangjian.members.choices import ETHNICITY_CHOICES, Education, Gender, Status
from dangjian.members.models import Member
from dangjian.orgs.forms import DateInput


def _label(name: str) -> str:
    return str(Member._meta.get_field(name).verbose_name)


class MemberForm(forms.Form):
    """Create (``editing=False``) or edit a member record.

    On edit the ID number, phone and address are never pre-filled (seeing them is an audited
    reveal): left blank they stay unchanged.
    """

    name = NameFormField(label=_label("name"), max_length=50)
    id_number = forms.CharField(
        label=_label("id_number"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}
        ),
    )
    gender = forms.ChoiceField(
        label=_label("gender"),
        choices=[("", "按公民身份号码自动判断"), *Gender.choices],
        required=False,
    )
    birth_date = forms.DateField(
        label=_label("birth_date"),
        required=False,
        widget=DateInput(),
        help_text="留空则按公民身份号码填写",
    )
    ethnicity = forms.ChoiceField(label=_label("ethnicity"), choices=ETHNICITY_CHOICES)
    phone = forms.CharField(
        label=_label("phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    address = forms.CharField(
        label=_label("address"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    education = forms.ChoiceField(label=_label("education"), choices=Education.choices)
    occupation = forms.CharField(label=_label("occupation"), max_length=60, required=False)
    joined_on = forms.DateField(
        label=_label("joined_on"), widget=DateInput(), help_text="成为预备党员的日期"
    )
    full_member_on = forms.DateField(
        label=_label("full_member_on"), required=False, widget=DateInput()
    )
    status = forms.ChoiceField(label=_label("status"), choices=Status.choices)
    group = forms.ModelChoiceField(
        label=_label("group"),
        queryset=Member.objects.none(),
        required=False,
        empty_label="不编入党小组",
    )

    SENSITIVE = ("id_number", "phone", "clear_phone", "address", "clear_address")

    def __init__(self, *args, groups, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        if editing is None:
            self.fields["ethnicity"].initial = "汉族"
            return
        id_field = self.fields["id_number"]
        id_field.required = False
        id_field.help_text = f"当前：{editing.id_number_masked}。留空表示不修改"
        phone_help = f"当前：{editing.phone_masked}。" if editing.phone else "当前未登记。"
        self.fields["phone"].help_text = phone_help + "留空表示不修改"
        if editing.phone:
            self.fields["clear_phone"] = forms.BooleanField(
                label="删除已登记的手机号", required=False
            )
        address_help = f"当前：{editing.address_masked}。" if editing.address else "当前未登记。"
        self.fields["address"].help_text = address_help + "留空表示不修改"
        if editing.address:
            self.fields["clear_address"] = forms.BooleanField(
                label="删除已登记的家庭住址", required=False
            )
        for name in ("gender", "birth_date"):
            self.fields[name].required = True
            self.fields[name].help_text = ""
        self.fields["gender"].choices = Gender.choices

    def clean_id_number(self) -> str:
        """Checked here too, so a wrong ID is reported along with the other fields."""
        value = self.cleaned_data["id_number"].strip().upper()
        if value:
            idcard.parse(value, today=timezone.localdate())
        return value

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"]
        if value.strip():
            return normalize_phone(value)
        return value

    def changes(self) -> dict:
        """Edit: the changed plain fields, plus the ID number / phone when given."""
        data = self.cleaned_data
        result = {n: data[n] for n in self.changed_data if n not in self.SENSITIVE}
        if data.get("id_number"):
            result["id_number"] = data["id_number"]
        if data.get("phone", "").strip():
            result["phone"] = data["phone"]
        elif data.get("clear_phone"):
            result["phone"] = ""
        if data.get("address", "").strip():
            result["address"] = data["address"]
        elif data.get("clear_address"):
            result["address"] = ""
        return result
