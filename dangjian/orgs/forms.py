"""Forms of the organisation pages. They parse input; the services decide what is valid."""

from django import forms
from django.utils import timezone

from dangjian.core.text import NameFormField
from dangjian.orgs.choices import OrgType, PositionTitle
from dangjian.orgs.models import Organisation
from dangjian.orgs.rules import ALLOWED_PARENTS


def _label(name: str) -> str:
    return str(Organisation._meta.get_field(name).verbose_name)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def child_types(parent_type: str) -> list[tuple[str, str]]:
    """Types that may sit under ``parent_type`` (组织层级规则), in the usual order."""
    return [
        (value, label) for value, label in OrgType.choices if parent_type in ALLOWED_PARENTS[value]
    ]


class OrgForm(forms.Form):
    """Create or edit an organisation's own fields."""

    name = NameFormField(label=_label("name"), max_length=120)
    org_type = forms.ChoiceField(label=_label("org_type"), choices=OrgType.choices)
    code = forms.CharField(
        label=_label("code"),
        max_length=24,
        help_text="6到24位数字或大写字母",
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    founded_on = forms.DateField(label=_label("founded_on"), widget=DateInput())
    address = forms.CharField(label=_label("address"), max_length=200, required=False)
    contact_phone = forms.CharField(
        label=_label("contact_phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args, type_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if type_choices is not None:
            self.fields["org_type"].choices = type_choices

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class MoveForm(forms.Form):
    target = forms.ModelChoiceField(
        label="移动到",
        queryset=Organisation.objects.none(),
        empty_label="请选择上级组织",
        error_messages={"invalid_choice": "请选择列表中的上级组织"},
    )

    def __init__(self, *args, targets, shown, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        field.queryset = targets  # validation: every allowed target
        field.widget.choices = [("", field.empty_label)] + [  # display: the first few
            (o.pk, f"{o.name}（{o.code}）") for o in shown
        ]


class DissolveForm(forms.Form):
    dissolved_on = forms.DateField(label=_label("dissolved_on"), widget=DateInput())
    reason = forms.CharField(
        label=_label("dissolve_reason"),
        max_length=200,
        required=False,  # the service says "请填写撤销原因"
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"dissolved_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class PositionForm(forms.Form):
    """Appoint a member to a post (任命)."""

    member = forms.ModelChoiceField(
        label="党员",
        queryset=Organisation.objects.none(),
        empty_label="请选择党员",
        error_messages={"invalid_choice": "请选择列表中的党员"},
    )
    title = forms.ChoiceField(label="职务", choices=[("", "请选择职务"), *PositionTitle.choices])
    started_on = forms.DateField(label="任职日期", widget=DateInput())

    def __init__(self, *args, candidates, shown, **kwargs):
        kwargs.setdefault("initial", {"started_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        field.queryset = candidates  # validation: every eligible member
        field.widget.choices = [("", field.empty_label)] + [  # display: the first few
            (m.pk, f"{m.name}（{m.branch.name}）") for m in shown
        ]


class EndPositionForm(forms.Form):
    """Record that a post holder left (离任)."""

    ended_on = forms.DateField(label="离任日期", widget=DateInput())

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"ended_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
