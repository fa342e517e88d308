"""Page weight of the pages members use: bytes on the wire and requests on a first visit
(empty cache), and bytes on a repeat visit (the same page again, cache warm), as a
390×844 phone with Debian's chromium sees them. Not a test: it prints a table for
bench/README.md (goal: < 150 KB and ≤ 10 requests first, ≤ 30 KB repeat).

    make demo                      # in another terminal: collected, compressed static files
    .venv/bin/python bench/page_weight.py --url http://127.0.0.1:8000 --user member_branch

Bytes are Chrome's encodedDataLength (headers and compressed bodies as transferred).
"""

import argparse
import os
import shutil
import sys

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "zh-CN"}  # fmt: skip
PAGES = ["/", "/orglife/mine/", "/members/", "{own}", "/dues/", "/consult/chat/", "/transfers/",
         "/inbox/", "/orgs/"]  # fmt: skip
GOAL_FIRST_KB, GOAL_REQUESTS, GOAL_REPEAT_KB = 150, 10, 30


def measure(context, url: str) -> tuple[int, int]:
    """(bytes, requests over the network) of loading ``url`` in ``context``'s page, until
    the network is idle; files the browser cache answers cost neither."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    seen = {"bytes": 0, "requests": 0}
    cached = set()
    cdp.on("Network.requestServedFromCache", lambda e: cached.add(e["requestId"]))
    cdp.on("Network.responseReceived",
           lambda e: e["response"].get("fromDiskCache") and cached.add(e["requestId"]))  # fmt: skip
    cdp.on(
        "Network.requestWillBeSent", lambda e: seen.__setitem__("requests", seen["requests"] + 1)
    )
    cdp.on("Network.loadingFinished",
           lambda e: seen.__setitem__("bytes", seen["bytes"] + int(e["encodedDataLength"])))  # fmt: skip
    page.goto(url, wait_until="networkidle")
    page.close()
    return seen["bytes"], seen["requests"] - len(cached)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="member_branch")
    parser.add_argument("--password", default="Dangjian@2026")
    args = parser.parse_args()
    base = args.url.rstrip("/")
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        login = browser.new_context(**PHONE)
        page = login.new_page()
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("用户名").fill(args.user)
        page.get_by_label("密码").fill(args.password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("networkidle")
        own = page.locator('nav.tabs a[data-menu="my_record"]').get_attribute("href") or "/"
        state = login.storage_state()
        login.close()
        for path in PAGES:
            path = path.format(own=own)
            context = browser.new_context(**PHONE, storage_state=state)  # an empty cache
            first_bytes, first_requests = measure(context, base + path)
            repeat_bytes, repeat_requests = measure(context, base + path)
            context.close()
            rows.append((path, first_bytes, first_requests, repeat_bytes, repeat_requests))
        browser.close()
    print("| page | first visit | requests | repeat visit | requests |")
    print("|---|---:|---:|---:|---:|")
    ok = True
    for path, fb, fr, rb, rr in rows:
        print(f"| `{path}` | {fb / 1024:.1f} KB | {fr} | {rb / 1024:.1f} KB | {rr} |")
        ok &= fb < GOAL_FIRST_KB * 1024 and fr <= GOAL_REQUESTS and rb <= GOAL_REPEAT_KB * 1024
    verdict = "within" if ok else "NOT within"
    print(f"\n{verdict} the goal (< {GOAL_FIRST_KB} KB and ≤ {GOAL_REQUESTS} requests first, "
          f"≤ {GOAL_REPEAT_KB} KB repeat)")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
