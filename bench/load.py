"""Load bench: the app under a real WSGI server on loopback, a bounded load, a baseline.

    .venv/bin/python bench/load.py [--clients 20] [--seconds 30] [--workers 2 --threads 4]

1. A temporary var/ (SQLite database, keys): ``migrate`` and ``seed_demo --scale small``.
2. gunicorn (gthread workers) serving ``bench.bench_wsgi`` on 127.0.0.1 at a free port.
3. For each endpoint in turn, ``--clients`` threads with keep-alive connections send
   requests for ``--seconds`` (and at most ``--max-requests`` in all), then stop:
   the baseline ``/__bench/ping`` (a WSGI answer outside Django), login (GET the form,
   POST the credentials), the home page, the member list page, GET /api/v1/orgs and
   GET /api/v1/members with a bearer token; then a member's QR check-in to a 主题党日 a
   branch admin planned through the API (the first check-in writes, the rest are the
   idempotent path of a crowd scanning the same code), and the 12371 bot answering a
   rotating set of member questions (each ask records its conversation).
4. A table: requests/s, p50/p99 latency, errors, and throughput as a share of the
   baseline. The exit code is 1 when any request failed.

Traffic goes to 127.0.0.1 only; every loop is bounded in time and count; the server is
stopped and the temporary directory removed at the end.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PASSWORD = "Dangjian@2026"
# A 考核人员 of a city: sees a whole city's members, needs no second factor (so the login
# measured is the password step alone; admins and leaders add a TOTP step).
USER = "examiner_city_kunming"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive connection with a cookie jar (enough for Django's session + CSRF)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
                if attempt == 2:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        return response.status, data

    def login(self, username=USER, password=PASSWORD) -> int:
        self.cookies.pop("sessionid", None)
        status, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        body = urllib.parse.urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1).decode() if token else "",
            }
        )
        status, _ = self.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{HOST}:{self.port}/accounts/login/",
            },
        )
        return status

    def close(self):
        self.conn.close()


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def run_phase(name, port, clients, seconds, max_requests, setup, action) -> Result:
    """``clients`` threads, each: ``setup(client)`` once, then ``action(client)`` in a loop
    until ``seconds`` pass or ``max_requests`` were sent in all."""
    result = Result(name)
    lock = threading.Lock()
    sent = [0]
    start_gate = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker():
        client = Client(port)
        try:
            setup(client)
        except Exception:
            with lock:
                result.errors += 1
        start_gate.wait()
        while time.perf_counter() < deadline[0]:
            with lock:
                if sent[0] >= max_requests:
                    break
                sent[0] += 1
            began = time.perf_counter()
            try:
                ok = action(client)
            except Exception:
                ok = False
            elapsed = time.perf_counter() - began
            with lock:
                if ok:
                    result.latencies.append(elapsed)
                else:
                    result.errors += 1
        client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + seconds + 3600  # set properly once all are ready
    start_gate.wait()
    began = time.perf_counter()
    deadline[0] = began + seconds
    for t in threads:
        t.join(timeout=seconds + 60)
    result.seconds = time.perf_counter() - began
    return result


MEMBER = "member_branch"  # a member of the admin_branch's branch (demo accounts)
ADMIN = "admin_branch"
QUESTIONS = [
    "怎么转组织关系",
    "党费按什么比例交",
    "入党积极分子要培养多久",
    "主题党日每个月都要搞吗",
    "流动党员怎么参加组织生活",
    "预备党员什么时候转正",
    "忘记密码了怎么办",
    "今天天气怎么样",  # not in the base: the bot must not guess
]


def token_headers(client: "Client", username: str, otp: str | None = None) -> dict:
    credentials = {"username": username, "password": PASSWORD}
    if otp:
        credentials["otp"] = otp
    status, body = client.request(
        "POST",
        "/api/v1/auth/token",
        body=json.dumps(credentials),
        headers={"Content-Type": "application/json"},
    )
    if status != 200:
        raise SystemExit(f"token for {username}: {status} {body[:200]!r}")
    return {"Authorization": f"Bearer {json.loads(body)['token']}"}


def plan_meeting(client: "Client", env: dict) -> tuple[int, dict]:
    """The branch admin plans a 主题党日 starting now; returns its id and the admin's headers
    (to fetch the current QR code: each is accepted for two minutes)."""
    otp = subprocess.run(
        [str(BIN / "python"), "-m", "dangjian", "totp_code", ADMIN],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    admin = token_headers(client, ADMIN, otp)
    _, me = client.request("GET", "/api/v1/auth/me", headers=admin)
    branch = json.loads(me)["roles"][0]["org_id"]
    start = time.time()
    body = {
        "org_id": branch,
        "kind": "theme_day",
        "topic": "压测主题党日",
        "starts_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)),
        "ends_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 7200)),
    }
    status, created = client.request(
        "POST",
        "/api/v1/orglife/meetings",
        body=json.dumps(body, ensure_ascii=False).encode(),
        headers={**admin, "Content-Type": "application/json"},
    )
    if status != 201:
        raise SystemExit(f"plan meeting: {status} {created[:300]!r}")
    return json.loads(created)["id"], admin


def prepare(var: Path) -> dict:
    env = {
        **os.environ,
        "DANGJIAN_VAR_DIR": str(var),
        "DANGJIAN_DEBUG": "1",  # creates the keys and secret in the temporary var/
        "DJANGO_SETTINGS_MODULE": "dangjian.settings",
    }
    manage = [str(BIN / "python"), "-m", "dangjian"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    began = time.perf_counter()
    subprocess.run(
        [*manage, "seed_demo", "--scale", "small", "--seed", "2026"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    print(f"seeded in {time.perf_counter() - began:.1f} s", flush=True)
    return env


def start_server(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    server_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.bench_settings", "PYTHONPATH": str(ROOT)}
    cmd = [
        str(BIN / "gunicorn"),
        "bench.bench_wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=server_env, cwd=ROOT)
    for _ in range(300):  # up to 30 s
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.terminate()
        raise SystemExit("server did not start")
    Client(port).request("GET", "/__bench/ping")
    return proc


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="per endpoint")
    parser.add_argument("--max-requests", type=int, default=200_000, help="per endpoint")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    var = Path(tempfile.mkdtemp(prefix="dangjian-bench-"))
    proc = None
    try:
        env = prepare(var)
        port = free_port()
        proc = start_server(env, port, args.workers, args.threads)
        probe = Client(port)
        status, body = probe.request(
            "POST",
            "/api/v1/auth/token",
            body=json.dumps({"username": USER, "password": PASSWORD}),
            headers={"Content-Type": "application/json"},
        )
        if status != 200:
            raise SystemExit(f"token: {status} {body[:200]!r}")
        bearer = {"Authorization": f"Bearer {json.loads(body)['token']}"}

        member = token_headers(probe, MEMBER)
        meeting, admin = plan_meeting(probe, env)
        qr_body = [b""]

        def scan_code(client):
            """What the secretary's screen shows at the start of the phase."""
            _, qr = client.request("GET", f"/api/v1/orglife/meetings/{meeting}/qr", headers=admin)
            qr_body[0] = json.dumps({"token": json.loads(qr)["token"]}).encode()

        questions = [json.dumps({"question": q}, ensure_ascii=False).encode() for q in QUESTIONS]

        def post(path, headers, bodies, expect=200):
            counter = iter(range(10**9))
            json_headers = {**headers, "Content-Type": "application/json"}
            return lambda c: (
                c.request(
                    "POST", path, body=bodies[next(counter) % len(bodies)], headers=json_headers
                )[0]
                == expect
            )

        def get(path, headers=None, expect=200):
            return lambda c: c.request("GET", path, headers=headers)[0] == expect

        def logged_in(client):
            if client.login() != 302:
                raise RuntimeError("login failed")

        phases = [
            ("baseline GET /__bench/ping", lambda c: None, get("/__bench/ping")),
            ("POST /accounts/login/ (GET form + POST)", lambda c: None, lambda c: c.login() == 302),
            ("GET / (home)", logged_in, get("/")),
            ("GET /members/ (list page)", logged_in, get("/members/")),
            ("GET /api/v1/orgs", lambda c: None, get("/api/v1/orgs", bearer)),
            ("GET /api/v1/members", lambda c: None, get("/api/v1/members", bearer)),
            (
                "POST /api/v1/orglife/…/checkin (QR)",
                scan_code,
                post(f"/api/v1/orglife/meetings/{meeting}/checkin", member, qr_body),
            ),
            (
                "POST /api/v1/consult/ask (bot)",
                lambda c: None,
                post("/api/v1/consult/ask", member, questions),
            ),
        ]
        results = []
        for name, setup, action in phases:
            result = run_phase(
                name, port, args.clients, args.seconds, args.max_requests, setup, action
            )
            results.append(result)
            print(
                f"{name:44s} {result.rps:8.1f} req/s  p50 {result.pct(0.5):7.1f} ms  "
                f"p99 {result.pct(0.99):7.1f} ms  errors {result.errors}",
                flush=True,
            )
        base = results[0].rps or 1.0
        print()
        print(
            f"{args.clients} clients, {args.seconds:g} s per endpoint, gunicorn "
            f"{args.workers} workers × {args.threads} threads, SQLite, {os.cpu_count()} CPUs"
        )
        print("| endpoint | requests/s | share of baseline | p50 ms | p99 ms | errors |")
        print("|---|---:|---:|---:|---:|---:|")
        for r in results:
            print(
                f"| {r.name} | {r.rps:.1f} | {r.rps / base:.3f} | {r.pct(0.5):.1f} | "
                f"{r.pct(0.99):.1f} | {r.errors} |"
            )
        if args.json:
            Path(args.json).write_text(
                json.dumps(
                    [
                        {
                            "endpoint": r.name,
                            "rps": r.rps,
                            "ratio": r.rps / base,
                            "p50_ms": r.pct(0.5),
                            "p99_ms": r.pct(0.99),
                            "errors": r.errors,
                            "requests": len(r.latencies),
                        }
                        for r in results
                    ],
                    indent=2,
                    ensure_ascii=False,
                )
            )
        return 1 if any(r.errors for r in results) else 0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
