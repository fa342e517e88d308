"""core.pages: the edit page (only changes reach the service; no change, no write) and
the filtered list page."""

import django_filters
import pytest
from django import forms
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory

from dangjian.core.pages import MSG_NO_CHANGES, edit_submit, list_filter, list_results


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


class GroupFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    org = django_filters.NumberFilter(method=lambda qs, name, value: qs)
    size = django_filters.ChoiceFilter(
        choices=[("s", "小"), ("l", "大")], method=lambda qs, n, v: qs
    )


@pytest.mark.django_db
def test_a_list_page_filters_as_its_api_does_and_a_bad_filter_shows_nothing():
    Group.objects.bulk_create([Group(name="第一党小组"), Group(name="第二党小组")])
    factory = RequestFactory()

    def page(query):
        request = factory.get("/", query)
        filterset = list_filter(
            request,
            GroupFilter,
            Group.objects.order_by("name"),
            search="输入名称",
            all_label="全部",
        )
        return filterset, list_results(filterset, lambda pk: f"org {pk}")

    filterset, (rows, org) = page({})
    assert not filterset.is_bound and rows.count() == 2 and org is None
    form = filterset.form
    assert form.fields["q"].widget.attrs["placeholder"] == "输入名称"
    assert form.fields["org"].widget.input_type == "hidden"
    assert next(iter(form.fields["size"].choices)) == ("", "全部")

    _, (rows, org) = page({"q": "第二", "org": "7"})
    assert [g.name for g in rows] == ["第二党小组"] and org == "org 7"

    filterset, (rows, org) = page({"size": "huge"})
    assert rows.count() == 0 and org is None and "size" in filterset.form.errors
