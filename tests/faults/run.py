"""Fault suite (issue 19): the real services under a steady mixed load, one fault at a time.

    .venv/bin/python -m tests.faults.run [--json FILE] [--keep]      (make faults)

1. Its own PostgreSQL cluster, redis-server, gunicorn (2 workers × 4 threads), a Celery
   worker and beat, all on 127.0.0.1 at free ports, DANGJIAN_DEBUG=0; the data of
   tests/faults/seed.py. Uploads go to a small tmpfs when the suite may mount one.
2. A mixed load of about 25 requests/s through the API: members checking in to meetings,
   comments, bot questions, an admin editing a member record, list reads and the public
   page. Every response is recorded with the phase it was sent in.
3. Faults, one at a time: the database stopped and started; Redis (cache and broker)
   stopped and started; the worker SIGKILLed in the middle of a job; the database's
   connections exhausted by another client; the upload disk full.
4. Asserted: no 500 and no refused connection ever; during each fault the stated answer
   (503 + Retry-After + {"detail": "<中文>"}, 507 「存储空间不足」, logins still working
   and still limited, the killed job run again exactly once in effect); recovery by
   itself within seconds; no acknowledged write lost or duplicated.

Prints a table of figures (docs/operations.md quotes them); exit code 1 on any failure.
Traffic goes to 127.0.0.1 only; every loop is bounded in time.
"""

import argparse
import contextlib
import http.client
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults import services
from tests.faults.services import BIN, HOST, ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")
RECOVERY_LIMIT_SECONDS = 30.0
FAULT_SECONDS = 8.0
FAULT_PHASES = ("database", "cache", "worker", "upload")


@dataclass
class Sample:
    phase: str
    kind: str
    status: int
    ok: bool  # the answer has the stated shape for its status
    latency: float
    sent: float
    note: str = ""


@dataclass
class Recorder:
    phase: str = "setup"
    samples: list[Sample] = field(default_factory=list)
    acked: dict[str, list] = field(default_factory=dict)
    unacked: dict[str, list] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def ack(self, kind: str, item, acknowledged: bool) -> None:
        with self.lock:
            (self.acked if acknowledged else self.unacked).setdefault(kind, []).append(item)


def shape_ok(path: str, status: int, headers: dict, body: bytes) -> bool:
    """503/507 carry the stated body; a 503 says when to retry."""
    if status not in (503, 507):
        return True
    if status == 503 and not headers.get("retry-after", "").isdigit():
        return False
    text = body.decode("utf-8", "replace")
    if path.startswith("/api/"):
        try:
            detail = json.loads(text)["detail"]
        except (ValueError, KeyError, TypeError):
            return False
        return isinstance(detail, str) and bool(CJK.search(detail))
    return ("服务暂时不可用" if status == 503 else "存储空间不足") in text


class Http:
    def __init__(self, port: int, recorder: Recorder):
        self.port, self.recorder = port, recorder
        self.conn = http.client.HTTPConnection(HOST, port, timeout=20)

    def call(self, kind, method, path, body=None, headers=None, content_type=None):
        headers = dict(headers or {})
        if body is not None and not isinstance(body, bytes):
            body, content_type = json.dumps(body, ensure_ascii=False).encode(), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        phase, started = self.recorder.phase, time.monotonic()
        for fresh in (self.conn.sock is None, True):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                status, got = response.status, {k.lower(): v for k, v in response.getheaders()}
                break
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=20)
                if fresh:  # a new connection failed: the server refused or broke it
                    self.recorder.add(Sample(phase, kind, 0, False, 0.0, started, repr(exc)))
                    return 0, b"", {}
                # else a kept-alive connection the server had closed while idle: again
        ok = shape_ok(path, status, got, data)
        note = data[:120].decode("utf-8", "replace") if status >= 500 else ""
        latency = time.monotonic() - started
        self.recorder.add(Sample(phase, kind, status, ok, latency, started, note))
        return status, data, got


def multipart(field_name: str, filename: str, content: bytes, content_type: str):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 20, 20)).save(out, format="JPEG")
    return out.getvalue()


class Load:
    """Threads each sending one kind of request at a steady pace (≈25 requests/s)."""

    def __init__(self, port: int, data: dict, recorder: Recorder):
        self.port, self.data, self.recorder = port, data, recorder
        self.stop = threading.Event()
        pairs = [(m, t) for m in data["meetings"] for t in range(len(data["members"]))]
        self.checkins = iter(pairs)
        self.pairs_lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._loop, args=(fn, rate), daemon=True)
            for fn, rate in (
                (self.checkin, 4),
                (self.checkin, 4),
                (self.comment, 4),
                (self.ask, 1),
                (self.edit, 2),
                (self.read, 5),
                (self.read, 5),
            )
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def _loop(self, fn, rate: float) -> None:
        client = Http(self.port, self.recorder)
        n = 0
        while not self.stop.is_set():
            began = time.monotonic()
            fn(client, n)
            n += 1
            self.stop.wait(max(0.0, 1 / rate - (time.monotonic() - began)))

    def _bearer(self, token: str) -> dict:
        return {"Authorization": f"Bearer {token}"}

    def checkin(self, client: Http, n: int) -> None:
        with self.pairs_lock:
            pair = next(self.checkins, None)
        if pair is None:
            return
        meeting, who = pair
        lat, lng = self.data["venue"]
        status, _, _ = client.call(
            "checkin",
            "POST",
            f"/api/v1/orglife/meetings/{meeting}/checkin",
            {"lat": lat, "lng": lng},
            self._bearer(self.data["members"][who]),
        )
        self.recorder.ack("checkin", pair, status == 200)

    def comment(self, client: Http, n: int) -> None:
        text = f"故障演练留言 {uuid.uuid4().hex}"
        meeting = self.data["meetings"][n % len(self.data["meetings"])]
        token = self.data["members"][n % len(self.data["members"])]
        status, _, _ = client.call(
            "comment",
            "POST",
            f"/api/v1/orglife/meetings/{meeting}/comments",
            {"text": text},
            self._bearer(token),
        )
        self.recorder.ack("comment", text, status == 201)

    def ask(self, client: Http, n: int) -> None:
        question = ("怎么交党费", "党员组织关系怎么转接", "主题党日每月几号")[n % 3]
        client.call(
            "ask",
            "POST",
            "/api/v1/consult/ask",
            {"question": question},
            self._bearer(self.data["asker"]),
        )

    def edit(self, client: Http, n: int) -> None:
        name = f"编辑{n:05d}"
        status, _, _ = client.call(
            "edit",
            "PATCH",
            f"/api/v1/members/{self.data['edited_member']}",
            {"name": name},
            self._bearer(self.data["admin"]),
        )
        self.recorder.ack("edit", name, status == 200)

    def read(self, client: Http, n: int) -> None:
        paths = ("/api/v1/members", "/api/v1/orgs", "/api/v1/orglife/meetings", "/consult/public/")
        path = paths[n % len(paths)]
        if path == "/consult/public/" and n % 8:  # the public limit: 60 a minute per address
            path = "/api/v1/orgs"
        client.call("read", "GET", path, headers=self._bearer(self.data["reader"]))


class Suite:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="dangjian-faults-"))
        os.chmod(self.work, 0o755)
        self.recorder = Recorder()
        self.failures: list[str] = []
        self.checks = 0
        self.figures: dict[str, dict] = {}
        self.mounted = False
        self.processes: list[services.Process] = []

    # --- setup ---------------------------------------------------------------------

    def setup(self) -> None:
        var = self.work / "var"
        (var / "uploads").mkdir(parents=True)
        self.uploads = var / "uploads"
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(self.uploads)],
                check=True,
                capture_output=True,
            )
            self.mounted = True
        self.pg = services.Postgres(self.work, max_connections=30)
        self.pg.init()
        redis_port = services.free_port()
        self.redis = services.redis(self.work, redis_port)
        self.redis.start()
        services.wait_port(redis_port)
        self.http_port = services.free_port()
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "dangjian.settings",
            "DATABASE_URL": self.pg.url,
            "REDIS_URL": f"redis://{HOST}:{redis_port}/1",
            "CELERY_BROKER_URL": f"redis://{HOST}:{redis_port}/0",
            "DANGJIAN_VAR_DIR": str(var),
            "DANGJIAN_ALLOWED_HOSTS": HOST,
            "DANGJIAN_DB_POOL_MIN": "4",  # = threads: no growing on the first burst
            "DANGJIAN_DB_POOL_MAX": "4",
            "DANGJIAN_DB_POOL_TIMEOUT": "2",
            "DANGJIAN_JOB_LEASE_SECONDS": "6",
            "DANGJIAN_TASK_VISIBILITY_SECONDS": "4",
            "DANGJIAN_TASK_RESTORE_INTERVAL": "1",
            "DANGJIAN_TASK_RESTORE_THROTTLE": "1",
            "DANGJIAN_FAULTJOB": "1",
            "DANGJIAN_FAULTJOB_SECONDS": "4",
            "DANGJIAN_LOG_LEVEL": "ERROR",
        }
        setup_env = {**self.env, "DANGJIAN_DEBUG": "1"}  # creates the key file and secret
        python = [str(BIN / "python"), "-m"]
        subprocess.run(
            [*python, "dangjian", "migrate", "--noinput", "-v", "0"],
            env=setup_env,
            cwd=ROOT,
            check=True,
        )
        out = self.work / "seed.json"
        subprocess.run(
            [*python, "tests.faults.seed", str(out)], env=setup_env, cwd=ROOT, check=True
        )
        self.data = json.loads(out.read_text())
        self.env["DANGJIAN_DEBUG"] = "0"
        logs = self.work / "logs"
        logs.mkdir()
        self.web = services.gunicorn(self.env, self.http_port, logs / "gunicorn.log", 2, 4)
        self.worker = services.celery(
            self.env,
            logs / "worker.log",
            "worker",
            "--concurrency",
            "2",
            "--include",
            "tests.faultjob",
        )
        self.beat = services.celery(
            self.env, logs / "beat.log", "beat", "-s", str(self.work / "beat-schedule")
        )
        self.processes = [self.web, self.worker, self.beat, self.redis]
        for process in (self.web, self.worker, self.beat):
            process.start()
        services.wait_port(self.http_port)
        self.probe = Http(self.http_port, Recorder())
        self._until(lambda: self.probe.call("probe", "GET", "/readyz")[0] == 200, 60, "ready")

    def teardown(self) -> None:
        for process in self.processes:
            process.stop()
        with contextlib.suppress(Exception):
            self.pg.stop()
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.uploads)], check=False)
        if not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            print(f"kept {self.work}")

    # --- helpers -------------------------------------------------------------------

    def check(self, condition: bool, message: str) -> None:
        self.checks += 1
        if not condition:
            self.failures.append(f"[{self.recorder.phase}] {message}")
            print(f"  FAIL {message}", flush=True)

    def _until(self, predicate, seconds: float, what: str) -> float | None:
        began = time.monotonic()
        while time.monotonic() - began < seconds:
            if predicate():
                return time.monotonic() - began
            time.sleep(0.2)
        self.check(False, f"{what}: not within {seconds:g} s")
        return None

    def ready(self) -> dict:
        status, body, _ = self.probe.call("probe", "GET", "/readyz")
        try:
            return {**json.loads(body), "http": status}
        except ValueError:
            return {"http": status}

    def phase(self, name: str) -> None:
        self.recorder.phase = name
        print(f"== {name}", flush=True)

    def recovered(self, since: float) -> float | None:
        """Seconds from ``since`` to the first write acknowledged after it."""

        def done() -> bool:
            with self.recorder.lock:
                return any(
                    s.sent > since and s.kind in ("comment", "checkin") and s.status in (200, 201)
                    for s in self.recorder.samples
                )

        waited = self._until(done, RECOVERY_LIMIT_SECONDS, "writes succeed again")
        return None if waited is None else round(time.monotonic() - since, 1)

    def statuses_since(self, since: float, kinds=None) -> Counter:
        with self.recorder.lock:
            return Counter(
                s.status
                for s in self.recorder.samples
                if s.sent >= since and (kinds is None or s.kind in kinds)
            )

    # --- faults --------------------------------------------------------------------

    def database_restart(self) -> None:
        self.phase("database stop/start")
        began = time.monotonic()
        self.pg.stop()
        time.sleep(FAULT_SECONDS / 2)
        readiness = self.ready()
        self.check(readiness.get("checks", {}).get("database") == "fail", f"readyz: {readiness}")
        self.check(self.probe.call("probe", "GET", "/healthz")[0] == 200, "healthz while down")
        time.sleep(FAULT_SECONDS / 2)
        seen = self.statuses_since(began)
        self.check(seen[503] > 0, f"503 while the database is down: {dict(seen)}")
        self.pg.start()
        restarted = time.monotonic()
        self.figures["database"] = {"down_503": seen[503], "recovered_s": self.recovered(restarted)}

    def cache_restart(self) -> None:
        self.phase("cache (Redis) stop/start")
        self.redis.stop()
        time.sleep(1)
        logins = [
            self.probe.call(
                "login",
                "POST",
                "/api/v1/auth/token",
                {"username": self.data["login_user"], "password": self.data["password"]},
            )[0]
            for _ in range(11)
        ]
        self.check(logins == [200] * 10 + [429], f"logins while Redis is down: {logins}")
        public = self.probe.call("public", "GET", "/consult/public/")[0]
        self.check(public == 200, f"public page while Redis is down: {public}")
        readiness = self.ready().get("checks", {})
        self.check(readiness.get("cache") == "fail", f"readyz names the cache: {readiness}")
        time.sleep(FAULT_SECONDS - 2)
        self.redis.start()
        restarted = time.monotonic()
        waited = self._until(lambda: self.ready()["http"] == 200, RECOVERY_LIMIT_SECONDS, "ready")
        if waited is None:
            print(f"  readyz: {self.ready()}")
        self.figures["cache"] = {
            "logins": f"{logins.count(200)}×200, then {logins[-1]}",
            "recovered_s": None if waited is None else round(time.monotonic() - restarted, 1),
        }

    def worker_kill(self) -> None:
        from celery import Celery

        self.phase("worker killed mid-job")
        with self.pg.connect("dangjian") as db:
            count = "SELECT count(*) FROM core_notification WHERE kind = 'faults.slow_job'"
            runs = "SELECT status, attempt FROM core_jobrun WHERE name = 'faults.slow_job'"
            producer = Celery("dangjian-faults", broker=self.env["CELERY_BROKER_URL"])
            producer.send_task("dangjian.core.jobs.run_periodic", args=("faults.slow_job",))
            producer.close()
            started = self._until(lambda: db.execute(count).fetchone()[0] == 1, 30, "job started")
            if started is None:
                return
            killed = time.monotonic()
            self.worker.kill()  # SIGKILL to the worker and its pool processes
            self.worker.start()  # what systemd's Restart= does
            self._until(lambda: ("done", 2) in db.execute(runs).fetchall(), 60, "job run again")
            rerun = round(time.monotonic() - killed, 1)
            time.sleep(2)  # a second redelivery, if any, would show now
            final = sorted(db.execute(runs).fetchall(), key=lambda r: r[1])
            effects = db.execute(count).fetchone()[0]
        self.check(final == [("lost", 1), ("done", 2)], f"job runs: {final}")
        self.check(effects == 1, f"job effects: {effects}")
        self.figures["worker"] = {"runs": final, "effects": effects, "rerun_s": rerun}

    def connections_exhausted(self) -> None:
        self.phase("database connections exhausted")
        hog: list = []

        def fill() -> None:
            while True:
                try:
                    hog.append(self.pg.connect("dangjian"))
                except Exception:
                    return

        began = time.monotonic()
        fill()  # every slot, the superusers' reserved ones included
        if not hog:
            self.check(False, "no connection for the hog")
            return
        # The app's idle pooled connections go too (as after an app restart): it must
        # now get new ones, and there are none.
        hog[0].execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
            [services.APP_ROLE],
        )
        fill()
        time.sleep(FAULT_SECONDS)
        seen = self.statuses_since(began)
        held = len(hog)
        for conn in hog:
            conn.close()
        released = time.monotonic()
        self.check(seen[503] > 0, f"503 while connections are exhausted: {dict(seen)}")
        self.figures["exhaustion"] = {
            "held": held,
            "down_503": seen[503],
            "recovered_s": self.recovered(released),
        }

    def disk_full(self) -> None:
        self.phase("upload disk full")
        if not self.mounted:
            print("  skipped: no tmpfs could be mounted (needs root)")
            self.figures["disk"] = {"skipped": "no tmpfs"}
            return
        filler = self.uploads / "filler"
        with contextlib.suppress(OSError), open(filler, "wb") as out:
            while True:
                out.write(b"\0" * 1024 * 1024)
                out.flush()
        with contextlib.suppress(OSError), open(self.uploads / "filler-tail", "wb") as out:
            while True:
                out.write(b"\0" * 4096)
                out.flush()
        meeting = self.data["meetings"][0]
        headers = {"Authorization": f"Bearer {self.data['admin']}"}
        body, content_type = multipart("photo", "site.jpg", jpeg(), "image/jpeg")
        path = f"/api/v1/orglife/meetings/{meeting}/photos"
        status, answer, _ = self.probe.call("photo", "POST", path, body, headers, content_type)
        self.check(status == 507, f"upload on a full disk: {status} {answer[:200]!r}")
        detail = json.loads(answer).get("detail", "") if status == 507 else ""
        self.check("存储空间不足" in detail, f"507 body: {answer[:200]!r}")
        readiness = self.ready().get("checks", {})
        self.check(readiness.get("storage") == "fail", f"readyz names the storage: {readiness}")
        filler.unlink()
        (self.uploads / "filler-tail").unlink()
        status_after, _, _ = self.probe.call("photo", "POST", path, body, headers, content_type)
        self.check(status_after == 201, f"upload once space is back: {status_after}")
        self.figures["disk"] = {"full": status, "after": status_after}

    # --- verdict -------------------------------------------------------------------

    def verify_writes(self) -> None:
        self.phase("verify")
        acked, unacked = self.recorder.acked, self.recorder.unacked
        with self.pg.connect("dangjian") as db:
            texts = Counter(
                row[0]
                for row in db.execute(
                    "SELECT text FROM orglife_comment WHERE text LIKE '故障演练留言%%'"
                )
            )
            present = set(
                db.execute(
                    "SELECT a.meeting_id, u.username FROM orglife_attendance a "
                    "JOIN accounts_user u ON u.member_id = a.member_id WHERE a.status = 'present'"
                ).fetchall()
            )
            name = db.execute(
                "SELECT name FROM members_member WHERE id = %s", [self.data["edited_member"]]
            ).fetchone()[0]
        lost = [t for t in acked.get("comment", []) if texts[t] == 0]
        doubled = [t for t, n in texts.items() if n > 1]
        self.check(not lost, f"acknowledged comments lost: {len(lost)}")
        self.check(not doubled, f"comments stored twice: {len(doubled)}")
        missing = [p for p in acked.get("checkin", []) if (p[0], f"fault{p[1]}") not in present]
        self.check(not missing, f"acknowledged check-ins lost: {len(missing)}")
        edits = acked.get("edit", [])
        later = set(unacked.get("edit", []))
        self.check(not edits or name == edits[-1] or name in later, f"member name {name!r}")
        unacked_kept = sum(texts[t] for t in unacked.get("comment", []))
        self.figures["writes"] = {
            "comments_acked": len(acked.get("comment", [])),
            "checkins_acked": len(acked.get("checkin", [])),
            "edits_acked": len(edits),
            "lost": len(lost) + len(missing),
            "duplicated": len(doubled),
            "unacked_but_stored": unacked_kept,
        }

    def verdict(self) -> None:
        samples = self.recorder.samples
        bad = [
            s for s in samples if s.status == 0 or (s.status >= 500 and s.status not in (503, 507))
        ]
        shapes = [s for s in samples if not s.ok]
        for s in bad[:5] + shapes[:5]:
            print(f"  {s.phase} {s.kind} {s.status} {s.note[:160]}")
        stray = [s for s in samples if s.status == 503 and not s.phase.startswith(FAULT_PHASES)]
        for s in stray[:10]:
            print(f"  503 outside a fault: {s.phase} {s.kind} {s.latency:.1f} s {s.note[:80]}")
        self.figures["stray_503"] = len(stray)
        self.check(not bad, f"500s or refused connections: {len(bad)}")
        self.check(not shapes, f"503/507 without the stated body: {len(shapes)}")
        readiness = self.ready()
        self.check(readiness["http"] == 200, f"ready at the end: {readiness}")

    def report(self) -> None:
        by_phase: dict[str, Counter] = {}
        latencies: dict[str, list] = {}
        for s in self.recorder.samples:
            by_phase.setdefault(s.phase, Counter())[s.status] += 1
            latencies.setdefault(s.phase, []).append(s.latency)
        print(
            "\n| phase | requests | 2xx | 4xx | 503 | 507 | other 5xx / refused | p50 ms | p99 ms |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for phase, counts in by_phase.items():
            total = sum(counts.values())
            ok = sum(n for c, n in counts.items() if 200 <= c < 300)
            client = sum(n for c, n in counts.items() if 400 <= c < 500)
            other = sum(
                n for c, n in counts.items() if c == 0 or (c >= 500 and c not in (503, 507))
            )
            lat = sorted(latencies[phase])
            p50, p99 = (
                lat[len(lat) // 2] * 1000,
                lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
            )
            print(
                f"| {phase} | {total} | {ok} | {client} | {counts[503]} | {counts[507]} | {other} "
                f"| {p50:.0f} | {p99:.0f} |"
            )
        print("\nfigures:", json.dumps(self.figures, ensure_ascii=False, default=str))
        if self.args.json:
            Path(self.args.json).write_text(
                json.dumps(
                    {"figures": self.figures, "failures": self.failures},
                    ensure_ascii=False,
                    default=str,
                )
            )

    def run(self) -> int:
        began = time.monotonic()
        try:
            self.setup()
            load = Load(self.http_port, self.data, self.recorder)
            self.phase("baseline")
            load.start()
            time.sleep(FAULT_SECONDS)
            self.database_restart()
            self.phase("after database")
            time.sleep(3)
            self.cache_restart()
            self.worker_kill()
            self.connections_exhausted()
            self.phase("after exhaustion")
            time.sleep(3)
            self.disk_full()
            self.phase("final")
            time.sleep(3)
            load.join()
            self.verify_writes()
            self.verdict()
            self.report()
        finally:
            self.teardown()
        print(f"\nfault suite: {time.monotonic() - began:.0f} s")
        for failure in self.failures:
            print("  -", failure)
        failed = len(self.failures)
        print(f"faults: {self.checks - failed} passed, {failed} failed")
        return 1 if self.failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    return Suite(parser.parse_args()).run()


if __name__ == "__main__":
    raise SystemExit(main())
