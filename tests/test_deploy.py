"""The deployment guide's files hold: Debian's nginx accepts the site file (when nginx is installed; `make
test` does not install it), and the units run what the guide says."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


@pytest.mark.skipif(NGINX is None, reason="Debian's nginx is not installed (apt-get install nginx-light)")
def test_nginx_accepts_the_site_file(tmp_path: Path) -> None:
    # The site file as Debian's nginx.conf includes it (inside http {}), with this test's own pid, log and
    # temporary folders so that it runs without root.
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "\n".join(f"  {kind}_temp_path {tmp_path / kind};" for kind in kinds)
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{\n  access_log off;\n{temp}\n  include {DEPLOY / 'nginx' / 'community.conf'};\n}}\n"
    )
    assert NGINX is not None
    checked = subprocess.run(
        [NGINX, "-t", "-q", "-c", str(main), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_the_site_file_passes_the_client_address_and_hides_metrics() -> None:
    site = (DEPLOY / "nginx" / "community.conf").read_text()
    for line in (
        "proxy_set_header Host $host;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_pass http://community_web;",
    ):
        assert line in site
    assert "location = /metrics" in site
    assert "location /static/" in site


def test_web_units_run_no_background_work_and_the_worker_does() -> None:
    web = (DEPLOY / "systemd" / "community-web@.service").read_text()
    worker = (DEPLOY / "systemd" / "community-worker.service").read_text()
    assert "Environment=COMMUNITY_BACKGROUND_WORK=0" in web
    assert "--port %i" in web
    assert "community worker" in worker
    assert "COMMUNITY_BACKGROUND_WORK=0" not in worker
