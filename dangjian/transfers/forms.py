"""Forms of the transfer pages. They parse input; transfers.services decides what is valid."""

from django import forms

from dangjian.members.choices import ETHNICITY_CHOICES, Education
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation
from dangjian.transfers.choices import Origin, TransferScope
from dangjian.transfers.models import LETTER_STATUSES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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


class IncomingForm(forms.Form):
    """The paper 介绍信 a member brings from outside the platform, and the person it
    introduces, as the receiving side types them in."""

    to_branch_code = forms.CharField(
        label="接收党支部", max_length=120, help_text="介绍信抬头的接收党支部：全称或组织代码"
    )
    origin = forms.ChoiceField(label="转入来源", choices=[("", "请选择"), *Origin.choices])
    from_org = forms.CharField(label="原所在党组织", max_length=120)
    issuing_org = forms.CharField(label="介绍信开具单位", max_length=120)
    letter_no = forms.CharField(label="介绍信编号", max_length=60)
    letter_issued_on = forms.DateField(label="开具日期", widget=DATE)
    letter_valid_until = forms.DateField(label="有效期至", widget=DATE)
    reported_on = forms.DateField(label="报到日期", widget=DATE)
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="公民身份号码", max_length=18)
    ethnicity = forms.ChoiceField(label="民族", choices=[("", "请选择"), *ETHNICITY_CHOICES])
    education = forms.ChoiceField(label="学历", choices=[("", "请选择"), *Education.choices])
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    member_status = forms.ChoiceField(label="党员类别", choices=[("", "请选择"), *LETTER_STATUSES])
    joined_on = forms.DateField(label="入党日期", widget=DATE)
    full_member_on = forms.DateField(
        label="转正日期", widget=DATE, required=False, help_text="正式党员填写"
    )
    dues_paid_until = forms.DateField(
        label="党费交到（月份）",
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        required=False,
    )
