"""dangjian/locale rewords the Django messages whose Chinese reads wrong or stiff to a
member: the compiled catalogue must be found (LOCALE_PATHS) and win over Django's."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (forms.CharField(max_length=3), "五个汉字啊", "不能超过 3 个字（现在是 5 个字）。"),
        (forms.CharField(min_length=2), "一", "至少需要 2 个字（现在是 1 个字）。"),
        (forms.CharField(), "党费\x00", "内容中含有无法识别的控制字符（空字符），请删除后重试。"),
    ],
)
def test_our_wording_replaces_djangos(field, value, message):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        field.clean(value)
    assert refused.value.messages == [message]
