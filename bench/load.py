"""Load runner: requests/s and latency of the app's pages, next to two reference apps.

    python -m bench.load [--generate] [--duration 10] [--pages / /orgs ...]

Each server is started alone as a uvicorn subprocess (one worker, no access log) on a free port of
127.0.0.1, answered with wrk at 16 connections (a 2 s warm-up, then the measured run), and stopped:

- ``hello``: a bare Litestar app answering "hello" (bench/refs/hello.py), the floor of the stack;
- ``minimal``: Litestar + raw asyncpg + one Jinja template listing 30 organizations
  (bench/refs/minimal_page.py), the least a real listing page does;
- the app itself (``community.app:create_app``) on the bench database, every page in turn.

The table gives each page's requests/s, p50/p95/p99 latency, non-2xx count and its requests/s
divided by each reference's, then who used the CPUs during the run (the worker, PostgreSQL, and
anything outside the bench, flagged when it competed) and how many database connections the server
opened meanwhile. The same figures go to bench/results/<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import platform
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlencode

import asyncpg
from sqlalchemy.engine import make_url

from bench.common import BENCH_DIR, RESULTS_DIR, asyncpg_dsn, bench_database_url, checked_url, display_url
from community.config import PROJECT_ROOT

HOST = "127.0.0.1"
DEFAULT_PAGES = ("/", "/orgs", "/orgs?page=50", "/orgs/{slug}", "/login", "/healthz", "/api/v1/organizations")
# --member: the pages a logged-in member reads most; {topic} is a topic with 50 replies or more, {tag} the
# most used tag (both from bench.forum_bench's data).
MEMBER_PAGES = (
    "/", "/forum", "{topic}", "/forum/tags/{tag}", "/scenarios", "/capabilities", "/products", "/policies",
    "/talent", "/events",
)  # fmt: skip
MEMBER_PASSWORD = "bench-password"  # noqa: S105 (every generated account's, bench.generate)
WRK_SCRIPT = BENCH_DIR / "wrk_report.lua"
STARTUP_TIMEOUT = 240.0  # the app imports a lot, slowly on a busy machine; not answered by then: failed
STOP_TIMEOUT = 15.0
REPORT_PREFIX = "WRK_REPORT "


@dataclass(frozen=True)
class Server:
    """An ASGI app to serve with uvicorn: import target, extra environment, a path that says it is up."""

    name: str
    target: str
    factory: bool = False
    env: dict[str, str] = field(default_factory=dict)
    ready_path: str = "/"
    root: Path | None = None  # another checkout of the project to serve (--compare); None: this one
    app: bool = True  # the community site: with several web processes, one `community worker` beside them


@dataclass(frozen=True)
class Load:
    """How every URL is loaded: wrk's settings, and the database whose sessions are counted."""

    wrk: str
    duration: int
    warmup: int
    connections: int
    threads: int
    database_url: str
    databases: frozenset[str]  # every database of the server, to tell whose queries PostgreSQL ran
    retries: int = 0  # measure again when other processes competed for the CPUs
    idle_wait: float = 0.0  # seconds to wait for an idle machine before each run
    headers: tuple[str, ...] = ()  # sent with every request, e.g. the cookie of a returning visitor


@dataclass
class Result:
    """One measured run of wrk against one URL."""

    label: str
    server: str
    path: str
    requests: int
    duration_s: float
    rps: float
    latency_ms: dict[str, float]
    statuses: dict[str, int]
    non_2xx: int
    socket_errors: dict[str, int]
    bytes_per_response: float
    probe_status: int
    cpu: CpuUse | None
    # PostgreSQL sessions opened on the bench database during the run: connections the server made and
    # dropped (pool churn), each costing a backend start. 0 for a server whose pool holds its connections.
    db_sessions: int


# --- servers ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def http_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, int]:
    """(status, body size) of one GET on 127.0.0.1; http.client, so no proxy setting can reroute it."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, len(response.read())
    finally:
        conn.close()


@contextlib.contextmanager
def serve(server: Server, workers: int = 1) -> Iterator[tuple[int, int]]:
    """Run ``server`` under uvicorn until the block ends; yield (port, pid) once ready_path answers 200.

    With ``workers`` > 1 (the app only) the web processes run with COMMUNITY_BACKGROUND_WORK=0 and one
    ``community worker`` runs beside them, as deployed; the pid is uvicorn's supervisor, whose children's
    CPU is counted as the server's."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", server.target, "--host", HOST, "--port", str(port),
        "--workers", str(workers), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    if server.factory:
        cmd.append("--factory")
    root = server.root or PROJECT_ROOT
    env = {**os.environ, **server.env}
    if server.root is not None:  # that checkout's code, not this one's
        env["PYTHONPATH"] = str(server.root)
    if workers > 1:
        env["COMMUNITY_BACKGROUND_WORK"] = "0"
    # The server's output goes to a file, not a pipe nobody reads (a full pipe would block the server).
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(tempfile.TemporaryFile(mode="w+"))
        procs = []
        if workers > 1 and server.app:
            worker_env = {**env, "COMMUNITY_BACKGROUND_WORK": "1"}
            worker_log = stack.enter_context(tempfile.TemporaryFile(mode="w+"))
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "community.cli", "worker"],
                    cwd=root, env=worker_env, stdout=worker_log, stderr=subprocess.STDOUT,
                )
            )  # fmt: skip
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        procs.insert(0, proc)
        try:
            _wait_ready(proc, port, server, log, STARTUP_TIMEOUT * workers)
            if workers > 1:
                _wait_workers(proc.pid, workers)
            yield port, proc.pid
        finally:
            for each in procs:
                each.terminate()
            for each in procs:
                try:
                    each.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    each.kill()
                    each.wait(timeout=STOP_TIMEOUT)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (uvicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(entry.name)
            if len(fields) > 1 and fields[1] == str(pid):
                found.append(int(entry.name))
    return found


def _wait_workers(pid: int, workers: int) -> None:
    """Until every web process of the supervisor has started (each answers once its lifespan ran)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT * workers
    while len(_children(pid)) < workers and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3.0)  # the last to fork loads the app: give it the time to listen


def _wait_ready(
    proc: subprocess.Popen[bytes], port: int, server: Server, log: IO[str], timeout: float = STARTUP_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            status, _size = http_get(port, server.ready_path, timeout=2.0)
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    log.seek(0)
    output = log.read()[-3000:]
    raise SystemExit(f"{server.name} did not come up on port {port} ({last}). Its output:\n{output}")


def log_in(port: int, email: str, password: str = MEMBER_PASSWORD) -> str:
    """Log in as a member through the site's own form; the Cookie header (session and CSRF) to send."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", "/login")
        response = conn.getresponse()
        page = response.read().decode()
        cookies = _cookies(response.getheaders())
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
        if token is None or "opc_csrf" not in cookies:
            raise SystemExit("The login form gave no CSRF token.")
        form = urlencode({"_csrf_token": token.group(1), "email": email, "password": password, "next": "/"})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        }
        conn.request("POST", "/login", body=form, headers=headers)
        response = conn.getresponse()
        response.read()
        cookies.update(_cookies(response.getheaders()))
        if response.status not in (302, 303) or "opc_session" not in cookies:
            raise SystemExit(f"Logging in as {email} failed: HTTP {response.status}.")
        return "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())
    finally:
        conn.close()


def _cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, content = pair.partition("=")
            found[key.strip()] = content.strip()
    return found


# --- CPU accounting --------------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
OTHER_CPU_WARNING = 0.15  # cores; above this, something else on the machine competed with the bench


def _busy_ticks() -> int:
    """CPU time spent on anything but idling, all cores together (the first line of /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return user + nice + system + irq + softirq


def _stat_fields(pid: int | str) -> list[str]:
    """The fields of /proc/<pid>/stat from the third on (state, ppid, ...); [] when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return stat.rsplit(")", 1)[1].split()  # the name in parentheses may hold spaces


def _postgres_label(title: str, databases: frozenset[str]) -> str:
    """'postgres[<database>]' for a process serving a database, 'postgres' for the shared ones.

    Titles look like "postgres: 15/main: <user> <database> 127.0.0.1(5432) idle" (the cluster name is
    optional) or "postgres: 15/main: autovacuum worker <database>"; the postmaster, checkpointer,
    WAL writer... serve every database.
    """
    words = title.removeprefix("postgres:").split()
    if words and words[0].endswith(":"):  # the cluster name
        words = words[1:]
    if words[:2] == ["autovacuum", "worker"]:
        words = words[1:]
    if len(words) > 1 and words[1] in databases:
        return f"postgres[{words[1]}]"
    return "postgres"


def _processes(databases: frozenset[str]) -> dict[int, tuple[str, int, int]]:
    """Every process: pid -> (label, CPU ticks of its own, the same plus those of its reaped children).

    The children's part matters for PostgreSQL: a backend that ends (a connection closed mid-run)
    hands its CPU time to the postmaster's cutime/cstime, so the postgres sum stays whole.
    """
    found: dict[int, tuple[str, int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            label = (entry / "comm").read_text().strip()
            if label == "postgres":
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                label = _postgres_label(title, databases)
        except OSError:
            continue
        fields = _stat_fields(entry.name)
        if fields:
            own = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of proc(5)
            found[int(entry.name)] = (label, own, own + int(fields[13]) + int(fields[14]))  # + cutime, cstime
    return found


@dataclass(frozen=True)
class CpuUse:
    """CPU cores in use, averaged over a run."""

    server: float  # the uvicorn worker: 1.0 means the single worker was saturated
    postgres: float  # PostgreSQL for the bench database (and its shared processes)
    other: float  # everything else but wrk: another test suite, a build, other databases' queries...
    other_top: tuple[str, ...] = ()  # the largest of those, "name (pid): cores"


class CpuWatch:
    """Who used the CPUs during a run, from /proc (Linux; elsewhere ``stop()`` gives None).

    other = all busy time - the server - wrk (our child, counted once it is reaped) - PostgreSQL's
    processes for the bench database and the shared ones (postmaster, WAL writer...). Backends that
    both start and end within the run are known only through the postmaster, so they count as the
    bench's: the figure is a lower bound of the competition, exact for anything long-lived.
    """

    def __init__(self, server_pid: int, database: str, databases: frozenset[str]) -> None:
        self.enabled = Path("/proc/stat").exists()
        if not self.enabled:
            return
        self.server_pid = server_pid
        self.server_children = tuple(_children(server_pid))  # several web processes under one supervisor
        self.databases = databases
        self.ours = {"postgres", f"postgres[{database}]"}
        self.started = time.monotonic()
        self.busy = _busy_ticks()
        self.processes = _processes(databases)
        self.children = self._children_seconds()

    @staticmethod
    def _children_seconds() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def stop(self) -> CpuUse | None:
        if not self.enabled:
            return None
        wall = time.monotonic() - self.started
        busy = (_busy_ticks() - self.busy) / _TICK
        wrk = self._children_seconds() - self.children
        before = self.processes
        now = _processes(self.databases)
        own: dict[int, tuple[str, float]] = {}
        postgres = 0.0
        for pid, (label, ticks, with_children) in now.items():
            _label, ticks_then, with_children_then = before.get(pid, (label, 0, 0))
            own[pid] = (label, (ticks - ticks_then) / _TICK)
            if label in self.ours:
                postgres += (with_children - with_children_then) / _TICK
        # A backend gone since: its whole life is now in the postmaster's children time; take off
        # the part it had spent before the run.
        postgres -= (
            sum(t for pid, (n, _o, t) in before.items() if n.startswith("postgres") and pid not in now)
            / _TICK
        )
        server = sum(own.get(pid, ("", 0.0))[1] for pid in (self.server_pid, *self.server_children))
        # Per-process times include the loopback network work that /proc/stat files under softirq,
        # so the difference can dip below zero on an idle machine.
        other = max(0.0, busy - server - postgres - wrk)
        skip = {self.server_pid, *self.server_children, os.getpid()}
        top = sorted(
            ((seconds, f"{label} ({pid})") for pid, (label, seconds) in own.items()
             if pid not in skip and label not in self.ours and label != "wrk" and seconds / wall >= 0.05),
            reverse=True,
        )[:3]  # fmt: skip
        return CpuUse(
            round(server / wall, 2),
            round(postgres / wall, 2),
            round(other / wall, 2),
            tuple(f"{label}: {seconds / wall:.2f}" for seconds, label in top),
        )


def wait_for_idle(max_wait: float) -> bool:
    """Wait (at most max_wait seconds) until the machine has been idle for 3 s; False if it never was."""
    if not Path("/proc/stat").exists():
        return True
    deadline = time.monotonic() + max_wait
    quiet = 0
    while True:
        before = _busy_ticks()
        time.sleep(1.0)
        quiet = quiet + 1 if (_busy_ticks() - before) / _TICK < OTHER_CPU_WARNING else 0
        if quiet >= 3:
            return True
        if time.monotonic() >= deadline:
            return False


# --- wrk -------------------------------------------------------------------------------------------------


def wrk_binary() -> str:
    found = shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
    if found is None:
        raise SystemExit("wrk is not installed (Debian/Ubuntu: apt-get install wrk).")
    return found


def run_wrk(load: Load, url: str, duration: int, script: bool) -> str:
    cmd = [load.wrk, f"-t{load.threads}", f"-c{load.connections}", f"-d{duration}s"]
    for header in load.headers:
        cmd += ["-H", header]
    if script:
        cmd += ["--latency", "-s", str(WRK_SCRIPT)]
    cmd.append(url)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30, check=False)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed on {url}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> dict[str, Any]:
    """The WRK_REPORT line of wrk_report.lua; failing that, what wrk's own --latency text says."""
    for line in output.splitlines():
        if line.startswith(REPORT_PREFIX):
            report: dict[str, Any] = json.loads(line[len(REPORT_PREFIX) :])
            return report
    # Fallback (a wrk without Lua): requests/s and the 50/90/99 % lines; no p95, no status counts.
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s)", output)
    if not rps or not total:
        raise SystemExit(f"Could not read wrk's output:\n{output}")
    latency = {
        f"p{pct}": float(value) * _UNITS_MS[unit] * 1000
        for pct, value, unit in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)", output, re.MULTILINE)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "duration_us": float(total.group(2)) * _UNITS_MS[total.group(3)] * 1000,
        "requests": int(total.group(1)),
        "bytes": 0,
        "errors": {"status": int(non_2xx.group(1)) if non_2xx else 0},
        "latency_us": latency,
        "statuses": {},
    }


def measure_quietly(load: Load, label: str, server: str, port: int, pid: int, path: str) -> Result:
    """measure() once the machine is idle; again (up to load.retries times) when something competed.

    On a shared machine another test suite or build steals CPU from the worker mid-run; the run with
    the least such competition is kept, and the table still flags it if even that one was disturbed.
    """
    best: Result | None = None
    for attempt in range(1 + load.retries):
        if not wait_for_idle(load.idle_wait):
            print(f"  the machine was not idle within {load.idle_wait:.0f} s; measuring anyway", flush=True)
        result = measure(load, label, server, port, pid, path)
        if best is None or (result.cpu and best.cpu and result.cpu.other < best.cpu.other):
            best = result
        if not result.cpu or result.cpu.other <= OTHER_CPU_WARNING:
            break
        if attempt < load.retries:
            print(f"  other processes used {result.cpu.other:.2f} cores; measuring again", flush=True)
    assert best is not None
    return best


def app_server(url: str, name: str = "app", root: Path | None = None, **env: str) -> Server:
    """The site as the benches serve it: one worker on the bench database, rate limits off, its own key."""
    return Server(
        name,
        "community.app:create_app",
        factory=True,
        env={
            "DATABASE_URL": url,
            "RATE_LIMITS_ENABLED": "false",
            "DEBUG": "false",
            "DATABASE_ECHO": "false",
            # A key of its own, so that the bench neither needs nor writes var/secret_key.
            "SECRET_KEY": secrets.token_urlsafe(32),
            **env,
        },
        ready_path="/healthz",
        root=root,
    )


def measure_references(
    load: Load, url: str, results: list[Result], workers: Sequence[int] = (1,)
) -> dict[str, float]:
    """The two reference pages (hello, minimal asyncpg + Jinja) first; their req/s, by name. With more web
    processes asked for, the minimal page with as many too ("minimal 2w"): how far the machine itself lets a
    page scale when wrk and PostgreSQL share its cores with the web processes."""
    refs: dict[str, float] = {}
    minimal = Server("minimal", "bench.refs.minimal_page:app", env={"BENCH_DATABASE_URL": url}, app=False)
    runs = [(Server("hello", "bench.refs.hello:app", app=False), 1), (minimal, 1)]
    runs += [(minimal, n) for n in workers if n > 1]
    for ref, n in runs:
        name = ref.name if n == 1 else f"{ref.name} {n}w"
        with serve(ref, n) as (port, pid):
            print(f"measuring reference {name} ...", flush=True)
            result = measure_quietly(load, f"[ref] {name}", name, port, pid, "/")
            results.append(result)
            refs[name] = result.rps
    return refs


def measure(load: Load, label: str, server: str, port: int, pid: int, path: str) -> Result:
    """Warm up, then the measured wrk run, watching CPU use and new database sessions meanwhile."""
    url = f"http://{HOST}:{port}{path}"
    # Also the first, slowest request (templates compile, a cold index builds): given time.
    probe_status, _size = http_get(port, path, timeout=120.0)
    run_wrk(load, url, load.warmup, script=False)
    sessions = asyncio.run(_sessions(load.database_url))
    watch = CpuWatch(pid, str(make_url(load.database_url).database), load.databases)
    report = parse_wrk(run_wrk(load, url, load.duration, script=True))
    cpu = watch.stop()
    new_sessions = asyncio.run(_sessions(load.database_url)) - sessions
    duration_s = report["duration_us"] / 1e6
    requests = int(report["requests"])
    statuses = {str(k): int(v) for k, v in report.get("statuses", {}).items()}
    errors = {k: int(v) for k, v in report.get("errors", {}).items()}
    if statuses:
        non_2xx = sum(n for status, n in statuses.items() if not status.startswith("2"))
    else:  # no per-response counts: only wrk's own count of 4xx/5xx is known
        non_2xx = errors.get("status", 0)
    socket_errors = {k: v for k, v in errors.items() if k != "status" and v}
    return Result(
        label=label,
        server=server,
        path=path,
        requests=requests,
        duration_s=round(duration_s, 3),
        rps=round(requests / duration_s, 1) if duration_s else 0.0,
        latency_ms={k.removesuffix("_us"): round(v / 1000, 2) for k, v in report["latency_us"].items()},
        statuses=statuses,
        non_2xx=non_2xx,
        socket_errors=socket_errors,
        bytes_per_response=round(report.get("bytes", 0) / requests, 1) if requests else 0.0,
        probe_status=probe_status,
        cpu=cpu,
        db_sessions=new_sessions,
    )


# --- the bench database ----------------------------------------------------------------------------------


async def _database_facts(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        counts = {
            table: int(await conn.fetchval(f'SELECT count(*) FROM "{table}"'))
            for table in ("user_account", "organization", "membership")
        }
        # A real OPC of a typical age, not the newest (cached everywhere) nor a missing one.
        newest = "SELECT slug FROM organization {} ORDER BY created_at DESC OFFSET $1 LIMIT 1"
        slug = await conn.fetchval(newest.format("WHERE org_type = 'opc'"), 1000)
        slug = slug or await conn.fetchval(newest.format(""), 0)
        version = await conn.fetchval("SHOW server_version")
        databases = [row["datname"] for row in await conn.fetch("SELECT datname FROM pg_database")]
        return {"counts": counts, "slug": slug, "postgresql": version, "databases": databases}
    finally:
        await conn.close()


async def _sessions(url: str) -> int:
    """Sessions ever opened on the bench database; asked of the maintenance database, not to count itself.
    0 when PostgreSQL takes no more connections (a shared machine's other suites): a figure, not a reason to
    lose the run."""
    parsed = make_url(url)
    try:
        conn = await asyncpg.connect(
            asyncpg_dsn(parsed.set(database="postgres").render_as_string(hide_password=False))
        )
    except (OSError, asyncpg.PostgresError):
        return 0
    try:
        value = await conn.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = $1", parsed.database
        )
        return int(value or 0)
    finally:
        await conn.close()


# --- report ----------------------------------------------------------------------------------------------


def _ratio(value: float, reference: float | None) -> str:
    return f"{value / reference:.3f}" if reference else "-"


def print_table(results: Sequence[Result], hello: float | None, minimal: float | None) -> None:
    headers = (
        "page", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-2xx", "rps/hello", "rps/minimal",
        "srv cpu", "pg cpu", "other cpu", "new db conns",
    )  # fmt: skip
    rows = []
    for r in results:
        latency = r.latency_ms
        rows.append(
            (
                r.label,
                f"{r.rps:,.0f}",
                f"{latency.get('p50', 0):.2f}",
                f"{latency['p95']:.2f}" if "p95" in latency else "-",
                f"{latency.get('p99', 0):.2f}",
                f"{r.non_2xx}" + (" !" if r.non_2xx or r.socket_errors else ""),
                _ratio(r.rps, hello),
                _ratio(r.rps, minimal),
                f"{r.cpu.server:.2f}" if r.cpu else "-",
                f"{r.cpu.postgres:.2f}" if r.cpu else "-",
                (f"{r.cpu.other:.2f}" + (" !" if r.cpu.other > OTHER_CPU_WARNING else "")) if r.cpu else "-",
                str(r.db_sessions),
            )
        )
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:  # the page left-aligned, the figures right-aligned
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs)

    print()
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print(
        "(cpu: cores in use during the run, srv = the uvicorn worker, 1.00 = saturated; "
        "new db conns: PostgreSQL sessions opened during the run)"
    )
    for r in results:
        if r.non_2xx or r.socket_errors or r.probe_status != 200:
            print(
                f"! {r.label}: first answer {r.probe_status}, statuses {r.statuses or '-'}, "
                f"socket errors {r.socket_errors or '-'}"
            )
    busy = [r for r in results if r.cpu and r.cpu.other > OTHER_CPU_WARNING]
    for r in busy:
        assert r.cpu is not None
        print(
            f"! {r.label}: other processes used {r.cpu.other:.2f} cores ({', '.join(r.cpu.other_top) or '?'})"
        )
    if busy:
        print("! Those figures are lower than the machine can do; run again when it is idle.")


def write_json(payload: dict[str, Any], started: datetime) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{started.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    return path


GOAL_SHARE = 0.20  # of the minimal page's req/s (issue 15)
GOAL_P95_MS = 50.0
GOAL_SCALING = 1.7  # two web processes against one


def print_summary(
    pages: Sequence[str], by_workers: dict[int, dict[str, Result]], refs: dict[str, float], name: str = "app"
) -> None:
    """Per page: req/s, p95 and share of the minimal page for each worker count, and the ratio of the
    largest worker count to one; goals that are missed are marked with '!'. Then the same ratio for the
    minimal page, when it was measured with that many processes too."""
    counts = sorted(by_workers)
    if not counts:
        return
    minimal = refs.get("minimal")
    headers = ["page"]
    for n in counts:
        headers += [f"req/s ({n}w)", f"p95 ms ({n}w)", f"share ({n}w)", f"other cpu ({n}w)"]
    scaled = len(counts) > 1 and counts[0] == 1
    if scaled:
        headers.append(f"{counts[-1]}w / 1w")
    rows = []
    for page in pages:
        row = [page]
        for n in counts:
            r = by_workers[n].get(page)
            if r is None:  # that run failed (reported above)
                row += ["-", "-", "-", "-"]
                continue
            p95 = r.latency_ms.get("p95", 0.0)
            share = r.rps / minimal if minimal else 0.0
            row += [
                f"{r.rps:,.0f}",
                f"{p95:.1f}" + (" !" if p95 >= GOAL_P95_MS else ""),
                (f"{share:.2f}" + (" !" if share < GOAL_SHARE else "")) if minimal else "-",
                f"{r.cpu.other:.2f}" if r.cpu else "-",
            ]
        if scaled:
            first, last = by_workers[1].get(page), by_workers[counts[-1]].get(page)
            ratio = last.rps / first.rps if first and last and first.rps else 0.0
            row.append(f"{ratio:.2f}" + (" !" if ratio < GOAL_SCALING else "") if first and last else "-")
        rows.append(row)
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]
    print(f"\nSummary, {name} (minimal page: {minimal or 0:,.0f} req/s in this run; goals: share >= {GOAL_SHARE}, "
          f"p95 < {GOAL_P95_MS:.0f} ms, {counts[-1]} workers >= {GOAL_SCALING}x one; '!' misses a goal)")  # fmt: skip
    print(
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    )
    for row in rows:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    minimal_scaled = refs.get(f"minimal {counts[-1]}w")
    if scaled and minimal and minimal_scaled:
        print(
            f"The minimal page itself: {minimal:,.0f} req/s with one process, {minimal_scaled:,.0f} with "
            f"{counts[-1]} ({minimal_scaled / minimal:.2f}x), on the same cores as wrk and PostgreSQL."
        )


def _member_data(url: str) -> dict[str, Any]:
    """The forum's 1M posts and the scenario zone's 10,000 scenarios and profiles (made when missing), the
    member who reads (an OPC's owner), and the forum paths that depend on the data."""
    from bench.forum_bench import _fill
    from bench.scenarios_generate import generate as generate_scenarios

    generate_scenarios(url=url)
    forum = asyncio.run(_fill(url, False))
    member = asyncio.run(_member_email(url))
    return {
        "member": member,
        "member_data": forum["counts"],
        "member_paths": {"topic": forum["topic"], "tag": forum["popular_tag"]},
    }


async def _member_email(url: str) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        email = await conn.fetchval(
            "SELECT u.email FROM user_account u JOIN membership m ON m.user_id = u.id "
            "JOIN organization o ON o.id = m.organization_id "
            "WHERE u.is_active AND NOT u.is_admin AND m.role = 'owner' AND o.org_type = 'opc' "
            "ORDER BY u.created_at, u.id LIMIT 1"
        )
        if email is None:
            raise SystemExit("No OPC owner in the bench database: run `python -m bench.generate`.")
        return str(email)
    finally:
        await conn.close()


# --- main ------------------------------------------------------------------------------------------------


def _pages(values: Sequence[str]) -> list[str]:
    """--pages takes paths separated by spaces or commas; each must start with '/' (or be {topic})."""
    pages = [p.strip() for value in values for p in value.split(",") if p.strip()]
    for page in pages:
        if not page.startswith("/") and page != "{topic}":  # {topic} becomes a topic's whole path
            raise SystemExit(f"A page is a path starting with '/': {page!r}")
    return pages


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description="Measure the app's pages against two reference apps."
    )
    parser.add_argument("--generate", action="store_true", help="run the data generator first")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each measured run (default 10)")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of warm-up before each run (default 2)"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--pages",
        nargs="+",
        default=list(DEFAULT_PAGES),
        help="app paths to measure; {slug} becomes a real organization's slug (default: %(default)s)",
    )
    parser.add_argument(
        "--refs", action=argparse.BooleanOptionalAction, default=True, help="measure the two references"
    )
    parser.add_argument(
        "--member",
        action="store_true",
        help="measure the pages a logged-in member reads (log in once, send the session cookie), on the "
        "forum and scenario bench data (made when missing)",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="another checkout of the project (e.g. a worktree of main) to measure beside this one, page by "
        "page in turn, on the same data in the same run: 'before' and 'after'",
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=None,
        help="web processes to measure with, in turn (default 1; with --member: 1 2); above 1 they run "
        "with COMMUNITY_BACKGROUND_WORK=0 beside one `community worker`",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="measure a URL again when other processes competed for the CPUs (default 2)",
    )
    parser.add_argument(
        "--idle-wait",
        type=float,
        default=30.0,
        help="seconds to wait for an idle machine before each run, 0 to start at once (default 30)",
    )
    args = parser.parse_args(argv)
    for name in ("duration", "warmup", "connections", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.retries < 0 or args.idle_wait < 0:
        parser.error("--retries and --idle-wait cannot be negative")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads (wrk's rule)")
    args.pages = _pages(args.pages)
    if args.workers is None:
        args.workers = [1, 2] if args.member else [1]
    if any(n < 1 for n in args.workers):
        parser.error("--workers must be at least 1")
    if args.member and args.pages == list(DEFAULT_PAGES):
        args.pages = list(MEMBER_PAGES)
    return args


def measure_apps(
    args: argparse.Namespace,
    load: Load,
    facts: dict[str, Any],
    apps: Sequence[Server],
    workers: int,
    by_run: dict[tuple[str, int], dict[str, Result]],
    results: list[Result],
) -> None:
    """Every page of ``args.pages`` on each app served by ``workers`` web processes; with several apps
    (--compare) they run side by side and each page is measured on one, then the other, so that both meet
    the same machine."""
    with contextlib.ExitStack() as stack:
        served = []
        for app in apps:
            port, pid = stack.enter_context(serve(app, workers))
            run_load = replace(load, headers=(log_in(port, facts["member"]),)) if args.member else load
            served.append((app, port, pid, run_load))
        for page in args.pages:
            path = page.format_map({"slug": facts["slug"], **facts.get("member_paths", {})})
            quoted = quote(path, safe="/?=&")
            for app, port, pid, run_load in served:
                label = path if workers == 1 else f"{path} ({workers} workers)"
                label = label if len(apps) == 1 else f"[{app.name}] {label}"
                print(f"measuring {label} ...", flush=True)
                try:
                    result = measure_quietly(run_load, label, app.name, port, pid, quoted)
                except Exception as exc:  # reported; the other pages are still measured
                    print(f"! {label}: {exc!r}", flush=True)
                    continue
                by_run.setdefault((app.name, workers), {})[page] = result
                results.append(result)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    url = bench_database_url()
    checked_url(url)
    wrk = wrk_binary()
    started = datetime.now().astimezone()

    # Imported here: the generator pulls in argon2 and alembic, which a plain load run does not need.
    from bench.generate import generate, migrate

    if args.generate:
        generate(url=url)
    else:
        migrate(url)  # cheap when current; keeps the bench schema in step with the app's code
    facts = asyncio.run(_database_facts(url))
    load = Load(
        wrk, args.duration, args.warmup, args.connections, args.threads, url,
        frozenset(facts.pop("databases")), args.retries, args.idle_wait,
    )  # fmt: skip
    if not facts["counts"]["organization"]:
        raise SystemExit("The bench database is empty: run `python -m bench.generate` or pass --generate.")
    counts = facts["counts"]
    print(
        f"Bench database {display_url(url)}: {counts['user_account']:,} accounts, "
        f"{counts['organization']:,} organizations, {counts['membership']:,} memberships."
    )
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s after a {args.warmup} s warm-up; "
        f"one uvicorn worker on {HOST}; {os.cpu_count()} CPUs shared by server, wrk and PostgreSQL."
    )

    if args.member:
        facts.update(_member_data(url))
        print(f"Member: {facts['member']}; forum and scenario data: {facts['member_data']}")
    apps = [app_server(url)]
    if args.compare:  # the other checkout first: "before", then this one
        apps = [app_server(url, "before", root=args.compare.resolve()), app_server(url, "after")]
    results: list[Result] = []
    refs = measure_references(load, url, results, args.workers) if args.refs else {}
    by_run: dict[tuple[str, int], dict[str, Result]] = {}
    for workers in args.workers:
        print(f"{workers} web process(es):", flush=True)
        try:
            measure_apps(args, load, facts, apps, workers, by_run, results)
        except SystemExit as exc:  # the figures measured so far are still printed
            print(f"! {exc}", flush=True)
            break

    print_table(results, refs.get("hello"), refs.get("minimal"))
    if len(by_run) > 1 or args.member:
        for app in apps:
            by_workers = {n: rows for (name, n), rows in by_run.items() if name == app.name}
            print_summary(args.pages, by_workers, refs, app.name)
    payload = {
        "started_at": started.isoformat(timespec="seconds"),
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "threads": args.threads,
            "retries": args.retries,
            "idle_wait_s": args.idle_wait,
            "server": "uvicorn, --no-access-log, log level warning",
        },
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "wrk": load.wrk,
        },
        "database": {"url": display_url(url), **facts},
        "references_rps": refs,
        "member": args.member,
        "workers": args.workers,
        "results": [
            {
                **asdict(r),
                "ratio_to_hello": round(r.rps / refs["hello"], 4) if refs.get("hello") else None,
                "ratio_to_minimal": round(r.rps / refs["minimal"], 4) if refs.get("minimal") else None,
            }
            for r in results
        ],
    }
    print(f"\nResults written to {write_json(payload, started).relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
