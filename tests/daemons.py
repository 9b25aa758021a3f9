"""Debian's PgBouncer and nginx, run by a test on free ports with files of its own (they are installed by
`make test`; a test that needs one skips only when it is missing on a machine set up by hand)."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.conftest import PROJECT_ROOT, free_port

PGBOUNCER = shutil.which("pgbouncer") or next((p for p in ("/usr/sbin/pgbouncer",) if Path(p).exists()), None)
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
SITE_FILE = PROJECT_ROOT / "deploy" / "nginx" / "community.conf"


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{process.args[0]} did not start:\n{log.read_text()}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def pgbouncer(database_url: str, *, pool_size: int = 4) -> Iterator[str]:
    """PgBouncer in transaction mode in front of ``database_url``'s server; the same URL through it.

    ``pool_size`` server connections per database serve every client connection, so transactions of
    different clients take turns on the same server connections (what breaks prepared statements)."""
    assert PGBOUNCER is not None
    url = make_url(database_url)
    port = free_port()
    # PgBouncer will not run as root: it then runs as postgres (or nobody), which must read its folder.
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    folder.chmod(0o755)
    config = folder / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={url.host or '127.0.0.1'} port={url.port or 5432} user={url.username or 'postgres'}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = any\npool_mode = transaction\n"
        f"default_pool_size = {pool_size}\nmin_pool_size = 0\nreserve_pool_size = 0\nmax_client_conn = 200\n"
        "server_reset_query =\nignore_startup_parameters = extra_float_digits\n"
        "log_connections = 0\nlog_disconnections = 0\n"
    )
    config.chmod(0o644)
    command = [PGBOUNCER]
    if os.geteuid() == 0:
        user = "postgres"
        try:
            pwd.getpwnam(user)
        except KeyError:
            user = "nobody"
        command += ["-u", user]
    log = folder / "pgbouncer.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen([*command, str(config)], stdout=log_file, stderr=subprocess.STDOUT)
        try:
            _wait_for_port(port, process, log)
            yield url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
        finally:
            _stop(process)
            shutil.rmtree(folder, ignore_errors=True)


def site_file(ports: list[int], listen: int) -> str:
    """The guide's nginx site file with its upstream on ``ports`` and listening on ``listen``: only what a
    machine's own values change (the ports, the host name, the checkout's path)."""
    site = SITE_FILE.read_text()
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;\n" for p in ports)
    site, upstreams = re.subn(
        r"(upstream community_web \{\n(?:\s*#[^\n]*\n)*)(?:\s*server [^\n]*\n)+", rf"\g<1>{servers}", site
    )
    assert upstreams == 1, "the site file's upstream block has changed"
    site = site.replace("    listen 80;\n", f"    listen 127.0.0.1:{listen};\n").replace(
        "    listen [::]:80;\n", ""
    )
    site = site.replace("server_name opc.wuhan.example;", "server_name 127.0.0.1 localhost;")
    site = site.replace("/srv/community/community/static/", f"{PROJECT_ROOT / 'community' / 'static'}/")
    assert f"listen 127.0.0.1:{listen};" in site
    return site


@contextmanager
def nginx(ports: list[int], folder: Path) -> Iterator[str]:
    """Debian's nginx with the guide's site file in front of the web processes on ``ports``; its address."""
    assert NGINX is not None
    folder.mkdir(parents=True, exist_ok=True)
    listen = free_port()
    (folder / "community.conf").write_text(site_file(ports, listen))
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "\n".join(f"  {kind}_temp_path {folder / kind};" for kind in kinds)
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = folder / "nginx.conf"
    main.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'};\nevents {{}}\n"
        f"http {{\n  access_log off;\n{temp}\n  include {folder / 'community.conf'};\n}}\n"
    )
    log = folder / "nginx.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [NGINX, "-c", str(main), "-e", str(folder / "error.log")],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(listen, process, folder / "error.log")
            yield f"http://127.0.0.1:{listen}"
        finally:
            _stop(process)
