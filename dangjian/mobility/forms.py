"""Forms of the mobility pages. They parse input; mobility.services decides what is valid
(six months away, a known host code, a date after the member left …)."""

from django import forms

from dangjian.mobility import lapse
from dangjian.mobility.choices import LostOutcome, ParticipationKind, SearchMethod


class DateInput(forms.DateInput):
    """The phone's own date picker."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date(label: str, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, widget=DateInput(), required=required)


class RegistrationForm(forms.Form):
    reason = forms.CharField(label="外出事由", max_length=200, help_text="如：外出务工、经商、求学")
    away_since = _date("外出日期")
    expected_until = _date("预计返回日期")
    host_code = forms.CharField(
        label="流入地党组织代码（平台内）",
        max_length=24,
        required=False,
        help_text="流入地党组织在本平台的组织代码，由流入地党组织提供",
    )
    host_name = forms.CharField(label="流入地党组织名称（平台外）", max_length=120, required=False)
    host_place = forms.CharField(label="流入地点（平台外）", max_length=120, required=False)
    host_contact = forms.CharField(label="流入地联系人及电话", max_length=120, required=False)


class EndForm(forms.Form):
    ended_on = _date("结束日期")
    reason = forms.CharField(
        label="结束原因", max_length=200, help_text="如：已返回、已转接组织关系"
    )


class ParticipationForm(forms.Form):
    held_on = _date("日期")
    kind = forms.ChoiceField(label="类别", choices=ParticipationKind.choices)
    title = forms.CharField(label="活动名称", max_length=120)
    note = forms.CharField(label="情况说明", max_length=500, required=False)


class GroupForm(forms.Form):
    name = forms.CharField(label="流动党小组名称", max_length=60)


class SetGroupForm(forms.Form):
    group = forms.TypedChoiceField(label="流动党小组", coerce=int, required=False, empty_value=None)

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", "（不编入）"), *((g.pk, g.name) for g in groups)]


class LostForm(forms.Form):
    since = _date("失联日期")
    circumstances = forms.CharField(
        label="失联情况", max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class AttemptForm(forms.Form):
    tried_on = _date("查找日期")
    method = forms.ChoiceField(label="查找方式", choices=SearchMethod.choices)
    result = forms.CharField(label="查找结果", max_length=300)
    reached = forms.BooleanField(label="已取得联系", required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label="结果", choices=LostOutcome.choices)
    outcome_on = _date("结果日期")
    note = forms.CharField(label="结果说明", max_length=500, required=False)


class AssignmentForm(forms.Form):
    title = forms.CharField(label="工作内容", max_length=120)
    assigned_on = _date("分配日期")
    due_on = _date("完成期限")


class DoneForm(forms.Form):
    done_on = _date("完成日期")


class ExcuseForm(forms.Form):
    condition = forms.ChoiceField(label="情形")
    reason = forms.CharField(label="正当理由", max_length=300)
    valid_from = _date("起始日期")
    valid_until = _date("截止日期", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["condition"].choices = lapse.choices()
