"""core.pages.edit_submit: only changes reach the service; no change, no write."""

from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory

from dangjian.core.pages import MSG_NO_CHANGES, edit_submit


class TopicForm(forms.Form):
    topic = forms.CharField()
    place = forms.CharField()


def _post(data):
    request = RequestFactory().post("/", data)
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _submit(request, update):
    form = TopicForm(request.POST, initial={"topic": "学习", "place": "会议室"})
    response = edit_submit(
        request, form, update, instance="meeting", success="已保存", then=HttpResponse
    )
    return form, response


def test_only_the_changed_fields_reach_the_service():
    calls = []
    request = _post({"topic": "学习二十大", "place": "会议室"})
    _, response = _submit(request, lambda changes: calls.append(changes) or "saved")
    assert calls == [{"topic": "学习二十大"}]
    assert response.content == b"saved"
    assert [str(m) for m in get_messages(request)] == ["已保存"]


def test_a_form_that_changes_nothing_writes_nothing():
    calls = []
    request = _post({"topic": "学习", "place": "会议室"})
    _, response = _submit(request, calls.append)
    assert calls == []
    assert response.content == b"meeting"
    assert [str(m) for m in get_messages(request)] == [MSG_NO_CHANGES]


def test_refusals_land_on_the_form():
    def refuse(changes):
        raise ValidationError({"place": "会场不可用"})

    form, response = _submit(_post({"topic": "学习", "place": "礼堂"}), refuse)
    assert response is None
    assert form.errors == {"place": ["会场不可用"]}
