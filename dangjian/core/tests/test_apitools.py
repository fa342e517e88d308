"""core.apitools.api_fields: a service's field errors under the API's names."""

import pytest
from django.core.exceptions import ValidationError

from dangjian.core.apitools import api_fields
from dangjian.core.errors import field_errors

as_api_fields = api_fields({"host": "host_id", "attendees": "attendee_ids"}, whole=("meeting",))


def test_it_renames_fields_and_moves_whole_object_errors_to_the_body():
    with pytest.raises(ValidationError) as caught, as_api_fields:
        raise ValidationError(
            {"host": "主持人不在本支部", "meeting": "会议已取消", "title": "不能为空"}
        )
    assert field_errors(caught.value) == {
        "host_id": ["主持人不在本支部"],
        "__all__": ["会议已取消"],
        "title": ["不能为空"],
    }


def test_it_works_as_a_decorator_and_leaves_other_errors_alone():
    @as_api_fields
    def service(error):
        raise error

    with pytest.raises(ValidationError) as caught:
        service(ValidationError({"attendees": "应到人员不能为空"}))
    assert field_errors(caught.value) == {"attendee_ids": ["应到人员不能为空"]}
    with pytest.raises(ValidationError) as caught:
        service(ValidationError("整体错误"))
    assert caught.value.messages == ["整体错误"]
    with pytest.raises(KeyError):
        service(KeyError("host"))
