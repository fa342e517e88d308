"""The chat page as a visitor who has not logged in sees it."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from dangjian.knowledge.tests.kb_helpers import make_entry

pytestmark = pytest.mark.django_db


def test_logged_out_chat_says_which_links_need_a_login(client, cast):
    """Logged out, the category tags and the links to pages that need an account say
    so, and lead to the login page with ``next=`` back to what was asked for."""
    make_entry(cast.org["P"])
    html = client.get(reverse("knowledge:chat")).content.decode()
    login = reverse("accounts:login")
    assert "以下功能需要登录" in html and "按分类浏览党务知识库需要先登录" in html
    assert f'href="{login}?next={quote(reverse("desk:my_orders"), safe="")}"' in html
    assert f'href="{reverse("desk:my_orders")}"' not in html
    target = f"{reverse('knowledge:kb_list')}?q={quote('组织关系转接', safe='')}"
    assert f'href="{login}?next={quote(target, safe="")}"' in html
    # the login page takes the visitor back to the category
    response = client.get(f"{login}?next={quote(target, safe='')}")
    assert response.status_code == 200


def test_signed_in_chat_links_directly(client, cast, login):
    make_entry(cast.org["P"])
    login(cast.user["member"])
    html = client.get(reverse("knowledge:chat")).content.decode()
    assert "需要登录" not in html
    assert f'href="{reverse("desk:my_orders")}"' in html
    assert f'href="{reverse("knowledge:kb_list")}?q={quote("组织关系转接")}"' in html
