"""Forms of the organisational-life pages. They parse input; orglife.services decides
what is valid (a host from another branch, an end before the start ...)."""

from django import forms

from dangjian.core.text import NameFormField
from dangjian.orglife.choices import AttendanceStatus, MeetingKind, VoteChoice
from dangjian.orglife.models import DEFAULT_RADIUS_M, MAX_RADIUS_M, Meeting

MSG_LAT_LNG_TOGETHER = "纬度和经度需同时填写，或都不填"
NOBODY = "暂不指定"


def _label(name: str) -> str:
    return str(Meeting._meta.get_field(name).verbose_name)


class DateTimeInput(forms.DateTimeInput):
    """The phone's own date-and-time picker."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class MeetingForm(forms.Form):
    """Plan (or edit) a meeting; host, recorder and 党小组 come from the branch roster."""

    field_order = [
        "kind", "topic", "starts_at", "ends_at", "group", "host", "recorder", "online_link",
        "agenda", "place", "latitude", "longitude", "checkin_radius_m",
    ]  # fmt: skip

    kind = forms.ChoiceField(label=_label("kind"), choices=MeetingKind.choices)
    topic = NameFormField(label=_label("topic"), max_length=120)
    starts_at = forms.DateTimeField(label=_label("starts_at"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_label("ends_at"), widget=DateTimeInput())
    place = forms.CharField(label=_label("place"), max_length=120, required=False)
    group = forms.ModelChoiceField(
        label=_label("group"),
        queryset=Meeting.objects.none(),
        required=False,
        empty_label="（仅党小组会需选择）",
    )
    host = forms.ModelChoiceField(
        label=_label("host"), queryset=Meeting.objects.none(), required=False, empty_label=NOBODY
    )
    recorder = forms.ModelChoiceField(
        label=_label("recorder"),
        queryset=Meeting.objects.none(),
        required=False,
        empty_label=NOBODY,
        help_text="记录人可标记考勤、记录纪要",
    )
    online_link = forms.URLField(
        label=_label("online_link"),
        required=False,
        assume_scheme="https",
        help_text="流动党员可通过链接线上参会",
    )
    agenda = forms.CharField(
        label=_label("agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    latitude = forms.FloatField(
        label=_label("latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        help_text="在会场点“使用我的位置”或选常用会场自动填写；有坐标才能定位签到",
    )
    longitude = forms.FloatField(
        label=_label("longitude"), required=False, min_value=-180, max_value=180
    )
    checkin_radius_m = forms.IntegerField(
        label=_label("checkin_radius_m"),
        min_value=20,
        max_value=MAX_RADIUS_M,
        initial=DEFAULT_RADIUS_M,
    )

    def __init__(self, *args, roster, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = roster
        self.fields["recorder"].queryset = roster
        self.fields["group"].queryset = groups
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal"})
        self.fields["checkin_radius_m"].widget.attrs.update({"step": "10", "inputmode": "numeric"})

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("latitude", MSG_LAT_LNG_TOGETHER)
        return data


class RecordForm(forms.Form):
    """Record a held meeting: the minutes (纪要), optionally with the first resolution."""

    minutes = forms.CharField(
        label="会议纪要", widget=forms.Textarea(attrs={"rows": 8}), max_length=20000
    )


class ResolutionForm(forms.Form):
    title = NameFormField(label="表决事项", max_length=120)
    text = forms.CharField(
        label="内容", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label="取消原因", max_length=200)


MARKABLE = [(s, label) for s, label in AttendanceStatus.choices if s != AttendanceStatus.EXPECTED]


class MarkForm(forms.Form):
    """The recorder's mark for one attendee."""

    member = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    status = forms.ChoiceField(label="出席情况", choices=MARKABLE)
    reason = forms.CharField(label="请假事由", max_length=200, required=False)


class LeaveForm(forms.Form):
    reason = forms.CharField(
        label="请假事由", max_length=200, widget=forms.Textarea(attrs={"rows": 3})
    )


class VoteForm(forms.Form):
    resolution = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    choice = forms.ChoiceField(label="表决意见", choices=VoteChoice.choices)


class CommentForm(forms.Form):
    text = forms.CharField(label="留言", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class PhotoForm(forms.Form):
    photo = forms.FileField(label="现场照片")
    caption = forms.CharField(label="说明", max_length=120, required=False)


class LocationForm(forms.Form):
    """Coordinates the phone reported (navigator.geolocation, posted by orglife.js)."""

    lat = forms.FloatField(min_value=-90, max_value=90)
    lng = forms.FloatField(min_value=-180, max_value=180)
