"""Make sure PostgreSQL answers and the database exists; start a private cluster when nothing answers.

    python -m community.pgcluster ensure      (what `make run` and `make test` call)

When nothing answers at DATABASE_URL's local address and PostgreSQL's server programs are installed, a
private cluster is created under var/postgres and started on that port. Otherwise it says exactly what to
install. The same ``PrivateCluster`` serves the tests that stop and start a database on purpose.
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from community.config import DEFAULT_DATABASE_URL, PROJECT_ROOT

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


def find_server_bindir() -> Path | None:
    """Where initdb and pg_ctl live: PATH first, then Debian's /usr/lib/postgresql/<version>/bin."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True
    )
    for directory in candidates:
        if Path(directory, "pg_ctl").exists() and Path(directory, "initdb").exists():
            return Path(directory)
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl and shutil.which("initdb"):
        return Path(pg_ctl).parent
    return None


@dataclass
class PrivateCluster:
    """A PostgreSQL cluster of our own in ``data_dir``, trust auth for user postgres, on 127.0.0.1:port."""

    data_dir: Path
    port: int
    bindir: Path

    @property
    def _as_root(self) -> bool:
        return os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self._as_root:
            # PostgreSQL refuses to run as root: run it as the postgres system user.
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)  # noqa: S603

    def init(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            pw = pwd.getpwnam("postgres")
            for path in (self.data_dir, *self.data_dir.parents):
                if path == Path("/") or path == Path(self.data_dir.anchor):
                    break
                if path == self.data_dir:
                    os.chown(path, pw.pw_uid, pw.pw_gid)
                else:  # the postgres user must be able to walk down to the data directory
                    os.chmod(path, os.stat(path).st_mode | 0o011)  # noqa: S103 - search (x) only, no read
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )

    def start(self) -> None:
        log = self.data_dir / "server.log"
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir} -c fsync=off"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"


async def server_answers(host: str, port: int, user: str, password: str | None, wait: float = 3.0) -> bool:
    try:
        conn = await asyncpg.connect(
            host=host, port=port, user=user, password=password, database="postgres", timeout=wait
        )
    except (TimeoutError, OSError, asyncpg.CannotConnectNowError):
        return False
    except asyncpg.PostgresError:
        return True  # it answered, even if it said no
    await conn.close()
    return True


async def create_database_if_missing(
    host: str, port: int, user: str, password: str | None, database: str
) -> bool:
    conn = await asyncpg.connect(host=host, port=port, user=user, password=password, database="postgres")
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists:
            return False
        quoted = '"' + database.replace('"', '""') + '"'
        try:
            await conn.execute(f"CREATE DATABASE {quoted}")
        except asyncpg.DuplicateDatabaseError:
            return False
        return True
    finally:
        await conn.close()


async def connect(url: str, database: str | None = None) -> asyncpg.Connection:
    """A plain asyncpg connection to the database of a SQLAlchemy URL (or to ``database`` on its server)."""
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=database or parsed.database,
    )


async def drop_database(url: str) -> None:
    parsed = make_url(url)
    conn = await connect(url, database="postgres")
    try:
        quoted = '"' + str(parsed.database).replace('"', '""') + '"'
        await conn.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    finally:
        await conn.close()


def ensure(database_url: str, create_database: bool = True) -> int:
    url = make_url(database_url)
    host = url.host or "127.0.0.1"
    port = url.port or 5432
    user = url.username or "postgres"
    if not asyncio.run(server_answers(host, port, user, url.password)):
        if host not in LOCAL_HOSTS:
            print(f"PostgreSQL at {host}:{port} does not answer. Start it, or point DATABASE_URL elsewhere.")
            return 1
        bindir = find_server_bindir()
        if bindir is None:
            print(
                f"Nothing answers on {host}:{port} and PostgreSQL's server programs are not installed.\n"
                "Install them (Debian/Ubuntu: sudo apt-get install -y postgresql) and run this again,\n"
                "or set DATABASE_URL=postgresql+asyncpg://USER:PASSWORD@HOST:PORT/community."
            )
            return 1
        cluster = PrivateCluster(PROJECT_ROOT / "var" / "postgres", port, bindir)
        print(
            f"Nothing answers on {host}:{port}: starting a private PostgreSQL cluster in {cluster.data_dir}"
        )
        try:
            cluster.init()
            cluster.start()
        except subprocess.CalledProcessError as exc:
            print(f"Could not start PostgreSQL: {exc.stderr or exc.stdout}")
            return 1
        for _ in range(30):
            if asyncio.run(server_answers(host, port, user, url.password)):
                break
            time.sleep(1)
    if (
        create_database
        and url.database
        and asyncio.run(create_database_if_missing(host, port, user, url.password, url.database))
    ):
        print(f"Created database {url.database}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if args[:1] != ["ensure"]:
        print("usage: python -m community.pgcluster ensure [--server-only]")
        return 2
    return ensure(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL, "--server-only" not in args)


if __name__ == "__main__":
    raise SystemExit(main())
