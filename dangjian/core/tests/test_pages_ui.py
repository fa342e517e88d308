"""What every page shares: the base template, Chinese dates, no inline script (CSP)."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse

from dangjian.core.templatetags.ui import cn_date

PAGES = [
    ("home", []),
    ("orgs:tree", []),
    ("orgs:search", []),
    ("orgs:detail", ["B1"]),
    ("orgs:edit", ["B1"]),
    ("orgs:create", ["T1"]),
    ("orgs:move", ["B2"]),
    ("orgs:dissolve", ["B2"]),
    ("members:list", []),
    ("members:create", ["B1"]),
    ("accounts:password_change", []),
]


def test_cn_date():
    assert cn_date(dt.date(2026, 11, 22)) == "2026年11月22日"
    assert cn_date(dt.datetime(2026, 1, 2, 18, 0, tzinfo=dt.UTC)) == "2026年1月3日"  # Shanghai
    assert cn_date(None) == "" and cn_date("") == ""


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), PAGES)
def test_pages_share_the_base_and_have_no_inline_script(login, cast, name, args):
    client = login(cast.user["county_admin"])
    response = client.get(reverse(name, args=[cast.org[a].pk for a in args]))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-Hans"' in html and 'name="viewport"' in html
    assert "/static/vendor/htmx/htmx.min.js" in html and "//cdn" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # no inline script
    assert re.findall(r"\son[a-z]+=", html) == []  # no inline handlers
    assert re.findall(r"\sstyle=", html) == []  # no inline styles
    assert reverse("accounts:elder") in html  # the elder-mode switch is on every page
    for nav in ("首页", "组织", "党员"):
        assert f">{nav}</a>" in html
    assert len(response.content) < 150 * 1024


@pytest.mark.django_db
def test_member_pages_share_the_base(login, cast):
    client = login(cast.user["county_admin"])
    m = cast.member["B1m1"]
    for url in (reverse("members:detail", args=[m.pk]), reverse("members:edit", args=[m.pk])):
        html = client.get(url).content.decode()
        assert reverse("accounts:elder") in html
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []


@pytest.mark.django_db
def test_error_pages_are_chinese(login, cast):
    client = login(cast.user["member"])
    html = client.get("/no-such-page/").content.decode()
    assert "未找到" in html and '<html lang="zh-Hans"' in html
    response = client.get(reverse("orgs:edit", args=[cast.org["B1"].pk]))
    assert response.status_code == 403 and "没有权限" in response.content.decode()


def test_no_template_has_inline_script_handlers_or_styles():
    """The CSP (script-src/style-src 'self', no 'unsafe-inline') would block them: every
    template of the project, including pages not in PAGES, is checked at the source."""
    root = Path(__file__).resolve().parents[2]
    problems = []
    for path in sorted(root.glob("**/templates/**/*.html")):
        text = path.read_text()
        rel = path.relative_to(root)
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            problems.append(f"{rel}: inline <script>")
        if re.search(r"\son[a-z]+\s*=", text):
            problems.append(f"{rel}: on* handler")
        if re.search(r"\sstyle\s*=", text) or "<style" in text:
            problems.append(f"{rel}: inline style")
        if "javascript:" in text:
            problems.append(f"{rel}: javascript: URL")
    assert not problems, "\n".join(problems)


def test_query_text_drops_nul_and_collapses_blanks():
    from django.test import RequestFactory

    from dangjian.core.pages import query_text

    request = RequestFactory().get("/", {"q": "  组织\x00关系 \t 转接  ", "other": "x" * 300})
    assert query_text(request) == "组织关系 转接"
    assert query_text(request, "other", limit=200) == "x" * 200
    assert query_text(request, "missing") == ""
