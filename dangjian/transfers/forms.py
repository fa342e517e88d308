"""Forms of the transfer pages. They parse input; transfers.services decides what is valid."""

from django import forms

from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation
from dangjian.transfers.choices import TransferScope


class ApplyForm(forms.Form):
    """The destination is a branch found by the search above the form (radio buttons), or
    an organisation outside the platform, named in words."""

    to_org = forms.ModelChoiceField(
        label="接收党支部（平台内）",
        queryset=Organisation.objects.filter(org_type=OrgType.BRANCH, dissolved_on__isnull=True),
        required=False,
        widget=forms.RadioSelect,
        empty_label=None,
    )
    external_org = forms.CharField(
        label="或：平台外的接收组织",
        max_length=120,
        required=False,
        help_text="转往未使用本平台的党组织时填写全称",
    )
    external_scope = forms.ChoiceField(
        label="平台外接收组织所在范围",
        choices=[("", "（转往平台外时选择）"), *TransferScope.choices],
        required=False,
    )
    reason = forms.CharField(label="转接原因", max_length=200, help_text="如：工作调动、升学、迁居")

    def __init__(self, *args, destinations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_org"].choices = [(o.pk, f"{o.name}（{o.code}）") for o in destinations]


class NoteForm(forms.Form):
    note = forms.CharField(label="审批意见", max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=200, required=False)


class ReceiptForm(forms.Form):
    received_on = forms.DateField(
        label="接收日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(label="回执说明", max_length=200, required=False)
