"""Reading whole lists, for the tests that a list shows exactly the oracle's rows and a
count that says no more (the declared matrix covers objects; lists are tested next to
each module's spec, in ``dangjian/<app>/tests/test_access.py``)."""

import re


def api_ids(client, url: str, headers: dict, params: dict | None = None, limit: int = 3):
    """Every id an API list pages through, and the counts it announced on the way."""
    ids, counts, offset = [], set(), 0
    while True:
        response = client.get(url, {**(params or {}), "limit": limit, "offset": offset}, **headers)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert set(body) == {"items", "count"}
        counts.add(body["count"])
        ids += [item["id"] for item in body["items"]]
        offset += limit
        if offset >= body["count"]:
            return ids, counts


def page_ids(client, url: str, attr: str, count_shown: str = "{count} ") -> tuple[set[int], int]:
    """Every row id a paginated page shows (``data-<attr>="id"``), and its count (which
    must be on the page, written as ``count_shown``)."""
    ids: set[int] = set()
    page = 1
    while True:
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}page={page}")
        assert response.status_code == 200
        html = response.content.decode()
        ids |= {int(x) for x in re.findall(rf'data-{attr}="(\d+)"', html)}
        page_obj = response.context["page_obj"]
        assert count_shown.format(count=page_obj.paginator.count) in html
        if not page_obj.has_next():
            return ids, page_obj.paginator.count
        page += 1
