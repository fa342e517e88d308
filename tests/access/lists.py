"""Reading whole lists, for the tests that a list shows exactly the oracle's rows and a
count that says no more (the declared matrix covers objects; lists are tested next to
each module's spec, in ``dangjian/<app>/tests/test_access.py``)."""

import re

PAGED = {"items", "count"}
KEYSET = PAGED | {"count_capped", "next_cursor"}  # lists paged by cursor too (KeysetPaging)


def api_ids(client, url: str, headers: dict, params: dict | None = None, limit: int = 3):
    """Every id an API list pages through, and the counts it announced on the way. A list
    that also pages by cursor is walked both ways, and both walks must agree."""
    ids, counts, offset, keyset = [], set(), 0, False
    while True:
        response = client.get(url, {**(params or {}), "limit": limit, "offset": offset}, **headers)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert set(body) in (PAGED, KEYSET)
        keyset = set(body) == KEYSET
        counts.add(body["count"])
        ids += [item["id"] for item in body["items"]]
        offset += limit
        if offset >= body["count"]:
            break
    if keyset:
        assert cursor_ids(client, url, headers, params, limit) == ids
    return ids, counts


def cursor_ids(client, url: str, headers: dict, params: dict | None = None, limit: int = 3):
    """Every id a keyset list pages through by following ``next_cursor``."""
    ids, query = [], {**(params or {}), "limit": limit}
    while True:
        response = client.get(url, query, **headers)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        ids += [item["id"] for item in body["items"]]
        if body["next_cursor"] is None:
            return ids
        query = {**(params or {}), "limit": limit, "cursor": body["next_cursor"]}


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
