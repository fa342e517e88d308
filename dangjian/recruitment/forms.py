"""Forms of the 发展党员 pages (the services validate again and have the last word)."""

from django import forms
from django.utils import timezone

from dangjian.members.choices import ETHNICITY_CHOICES, Education, Status
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation
from dangjian.recruitment import rules

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ACCEPT = "application/pdf,image/jpeg,image/png,image/webp"
DOC_HELP = "PDF 或图片，不超过 5 MB"


def _file(label: str, required: bool) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=required,
        help_text=DOC_HELP,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


class ApplicantForm(forms.Form):
    """Step 1: 受理入党申请书."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="公民身份号码", max_length=18, help_text="出生日期、性别按身份证号自动填写"
    )
    ethnicity = forms.ChoiceField(label="民族", choices=ETHNICITY_CHOICES, initial="汉族")
    education = forms.ChoiceField(label="学历", choices=Education.choices)
    occupation = forms.CharField(label="职业/岗位", max_length=60, required=False)
    phone = forms.CharField(
        label="手机号", max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    applied_on = forms.DateField(label="递交申请日期", widget=DATE)
    document = _file("入党申请书", True)
    account = forms.CharField(
        label="申请人登录账号",
        max_length=150,
        required=False,
        help_text="选填：申请人已有平台账号时填写，本人可查看全程纪实、上传思想汇报，批准后即为其党员账号",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    note = forms.CharField(
        label="情况说明", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applied_on"].initial = timezone.localdate()


VOTE_FIELDS = ("eligible", "present", "votes_for", "against", "abstain")
FIELDS_BY_STEP = {
    "contacts": ("contacts",),
    "sponsors": ("sponsors",),
    "training": ("training_days", "training_hours"),
    "branch_vote": VOTE_FIELDS,
    "conversion_vote": VOTE_FIELDS,
    "approve": ("late_reason",),
    "placed": ("group",),
    rules.EXTEND: ("extension_months",),
}


class StepForm(forms.Form):
    """Record one step; only the fields the step asks for are kept."""

    done_on = forms.DateField(label="办理日期", widget=DATE)
    contacts = forms.ModelMultipleChoiceField(
        label="培养联系人（1至2名正式党员）",
        queryset=Member.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    sponsors = forms.ModelMultipleChoiceField(
        label="入党介绍人（2名正式党员）",
        queryset=Member.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    training_days = forms.IntegerField(label="培训天数", min_value=0, max_value=365, initial=3)
    training_hours = forms.IntegerField(
        label="培训学时", min_value=0, max_value=2000, required=False, initial=0
    )
    eligible = forms.IntegerField(
        label="应到会有表决权的正式党员（人）", min_value=0, max_value=100000
    )
    present = forms.IntegerField(label="实到（人）", min_value=0, max_value=100000)
    votes_for = forms.IntegerField(label="赞成（人）", min_value=0, max_value=100000)
    against = forms.IntegerField(label="反对（人）", min_value=0, max_value=100000, initial=0)
    abstain = forms.IntegerField(label="弃权（人）", min_value=0, max_value=100000, initial=0)
    late_reason = forms.CharField(
        label="延长审批原因",
        required=False,
        max_length=500,
        help_text="超过三个月审批时填写（最长不超过六个月）",
    )
    extension_months = forms.IntegerField(label="延长预备期（月）", min_value=6, max_value=12)
    group = forms.ModelChoiceField(
        label="编入党小组", queryset=Organisation.objects.none(), required=False
    )
    document = _file("材料", False)
    note = forms.CharField(
        label="情况说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, applicant, key: str, **kwargs):
        super().__init__(*args, prefix=key, **kwargs)
        self.key = key
        step = rules.STEP.get(key)
        self.label = step.label if step else "延长预备期"
        self.number = step.number if step else 21
        self.fields["done_on"].initial = timezone.localdate()
        keep = {"done_on", "document", "note", *FIELDS_BY_STEP.get(key, ())}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if step is not None and step.document:
            self.fields["document"].label = rules.DOC_LABELS[step.document]
            self.fields["document"].required = True
        if {"contacts", "sponsors"} & set(self.fields):
            full = Member.objects.filter(branch_id=applicant.branch_id, status=Status.FULL)
            for name in ("contacts", "sponsors"):
                if name in self.fields:
                    self.fields[name].queryset = full.order_by("name", "pk")
        if "group" in self.fields:
            self.fields["group"].queryset = Organisation.objects.filter(
                path__startswith=applicant.branch.path,
                org_type=OrgType.GROUP,
                dissolved_on__isnull=True,
            ).order_by("path")

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            "step": self.key,
            "done_on": data["done_on"],
            "note": data.get("note", ""),
            "document": data.get("document"),
        }
        if "contacts" in data:
            kwargs["contact_ids"] = [m.pk for m in data["contacts"]]
        if "sponsors" in data:
            kwargs["sponsor_ids"] = [m.pk for m in data["sponsors"]]
        if "training_days" in data:
            kwargs["training_days"] = data["training_days"] or 0
            kwargs["training_hours"] = data.get("training_hours") or 0
        if "eligible" in data:
            kwargs["vote"] = {name: data.get(name) or 0 for name in VOTE_FIELDS}
        for name in ("late_reason", "extension_months", "group"):
            if name in data:
                kwargs[name] = data[name]
        return kwargs


class TerminateForm(forms.Form):
    reason = forms.CharField(
        label="终止原因", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label="材料类型", choices=list(rules.DOC_LABELS.items()))
    title = forms.CharField(label="标题", max_length=120, required=False)
    upload = _file("文件", True)

    def __init__(self, *args, own_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if own_only:
            self.fields["kind"].choices = [
                (rules.Doc.THOUGHT_REPORT, rules.DOC_LABELS[rules.Doc.THOUGHT_REPORT])
            ]


class PlanForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    quota = forms.IntegerField(label="计划发展人数", min_value=0, max_value=1_000_000)
