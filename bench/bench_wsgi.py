"""The WSGI app the load bench serves: the real application, plus a trivial baseline.

``/__bench/ping`` answers ``ok`` without entering Django, so its throughput is what the
server and the client alone can do on this machine; the other endpoints are reported as
a ratio of it (same server, same client, same run).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")

from dangjian.wsgi import application as django_app

PING = "/__bench/ping"


def application(environ, start_response):
    if environ.get("PATH_INFO") == PING:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    return django_app(environ, start_response)
