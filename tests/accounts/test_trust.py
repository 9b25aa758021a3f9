"""Trust and safety of the accounts zone: mailed links come from BASE_URL whatever Host a request names; the
register and forgot-password forms tell nobody whether an address has an account (same page, same time,
mail through the job queue, no 503 when the mail server is down); every mail anyone can make the site send
is limited per address, invitations per sender too, and a member's words in an invitation cannot pose as
the site's; argon2 never runs on the event loop; the secret key is never empty, short or half-written."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import argon2
import pytest
from litestar.testing import AsyncTestClient

from community.config import ConfigError, Settings, _secret_key
from tests.conftest import FormClient, Mailbox, confirmation_path

FACTORY = {"name": "长江制造有限公司", "org_type": "enterprise", "slug": "changjiang"}


async def jobs_done(db: Any, within: float = 30.0) -> None:
    """Wait until the app's worker has run every due job (the mails are sent by it)."""
    deadline = time.monotonic() + within
    while db.fetchval(
        "SELECT count(*) FROM job WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= now()"
    ):
        if time.monotonic() > deadline:
            raise AssertionError("the job queue was not drained in time")
        await asyncio.sleep(0.05)


def mails_to(mailbox: Mailbox, address: str) -> list[Any]:
    return [m for m in mailbox.messages if address in str(m["To"])]


def without_tokens(html: str, *addresses: str) -> str:
    """A page with what differs from one request to the next taken out: the CSRF token and the address."""
    html = re.sub(r'name="_csrf_token" value="[^"]*"', "", html)
    for address in addresses:
        html = html.replace(address, "ADDRESS")
    return html


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A mail server that takes the connection and never answers (down, the slow way)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(50)
        yield int(sock.getsockname()[1])


async def _owner(make_client: Any, email: str = "boss@example.com") -> FormClient:
    owner: FormClient = await make_client()
    await owner.register(email, "老板")
    assert (await owner.submit("/orgs/new", FACTORY)).status_code == 200
    return owner


# --- 1. links from BASE_URL, other hosts refused ---------------------------------------------------------


async def test_a_forgot_password_post_naming_a_foreign_host_is_refused_and_mails_nothing(
    client: FormClient, mailbox: Mailbox, db: Any
) -> None:
    await client.register("admin@example.com", "管理员")
    await client.logout()
    token = await client.csrf_token()
    forged = await client.post(
        "/password/forgot",
        data={"email": "admin@example.com", "_csrf_token": token},
        headers={"host": "attacker.example"},
    )
    assert forged.status_code == 400
    await jobs_done(db)
    assert mails_to(mailbox, "admin@example.com") == []
    assert db.fetchval("SELECT count(*) FROM password_reset_token") == 0


async def test_mailed_links_come_from_base_url_even_when_any_host_is_allowed(
    settings: Settings, mailbox: Mailbox, db: Any
) -> None:
    from community.app import create_app

    app = create_app(replace(settings, allowed_hosts=("*",)))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as raw:
        client = FormClient(raw)
        await client.register("admin@example.com", "管理员")
        assert (await client.submit("/orgs/new", FACTORY)).status_code == 200
        foreign = {"host": "attacker.example"}
        await client.submit("/orgs/changjiang/invitations", {"email": "new@example.com"}, headers=foreign)
        await client.logout()
        await client.submit("/password/forgot", {"email": "admin@example.com"}, headers=foreign)
        await client.submit(
            "/register",
            {"email": "fresh@example.com", "display_name": "新人", "password": "long enough 1"},
            headers=foreign,
        )
        await jobs_done(db)
    for address, path in (
        ("new@example.com", "/invitations/"),
        ("admin@example.com", "/password/reset/"),
        ("fresh@example.com", "/register/confirm/"),
    ):
        (mail,) = mails_to(mailbox, address)
        assert "attacker.example" not in Mailbox.body(mail)
        assert Mailbox.link(mail).startswith(f"http://testserver.local{path}"), address


async def test_pages_answer_for_the_site_s_own_host_and_healthz_for_any(client: FormClient) -> None:
    assert (await client.get("/login")).status_code == 200
    # `make run` (or `community run --port 9001`) is opened on a loopback address, on whatever port
    for host in ("testserver.local:8443", "127.0.0.1:9001", "localhost", "LOCALHOST:8000"):
        assert (await client.get("/login", headers={"host": host})).status_code == 200, host
    for host in (
        "evil.example",
        "evil.example:8000",
        "testserver.local.evil.example",
        "127.0.0.1.evil.example",
    ):
        assert (await client.get("/login", headers={"host": host})).status_code == 400, host
    # A load balancer's probe addresses the process directly.
    assert (await client.get("/healthz", headers={"host": "10.0.0.7:8000"})).status_code == 200


def test_the_allowed_hosts_are_base_url_s_and_the_local_ones_unless_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
    monkeypatch.setenv("BASE_URL", "https://opc.wuhan.example")
    assert Settings.from_env().hosts_allowed == ["127.0.0.1", "localhost", "opc.wuhan.example"]
    monkeypatch.setenv("ALLOWED_HOSTS", "opc.example, *.opc.example")
    assert Settings.from_env().hosts_allowed == ["*.opc.example", "opc.example"]


# --- 2. registration: the same answer for every address, finished from the mailed link ----------------------


async def test_registering_a_known_or_new_address_answers_the_same_and_only_the_mail_differs(
    make_client: Any, mailbox: Mailbox, db: Any
) -> None:
    member = await make_client()
    await member.register("li.ming@example.com", "李明")
    visitor = await make_client()
    form = {"display_name": "另一个李明", "password": "another password"}
    known = await visitor.submit("/register", {**form, "email": "  LI.MING@example.com "})
    new = await visitor.submit("/register", {**form, "email": "wang@example.com"})
    assert known.status_code == new.status_code == 200
    assert without_tokens(known.text, "li.ming@example.com") == without_tokens(new.text, "wang@example.com")
    assert "已注册" not in known.text
    assert db.fetchval("SELECT count(*) FROM user_account") == 1  # nothing yet for the new address

    await jobs_done(db)
    (exists,) = mails_to(mailbox, "li.ming@example.com")
    assert confirmation_path(exists) is None
    assert "http://testserver.local/login" in Mailbox.body(exists)
    assert "http://testserver.local/password/forgot" in Mailbox.body(exists)
    assert "另一个李明" not in Mailbox.body(exists)
    (confirm,) = mails_to(mailbox, "wang@example.com")
    assert confirmation_path(confirm) is not None
    assert "另一个李明" not in Mailbox.body(confirm)  # the form's words are not carried to the address
    # the one with the account still logs in with their own password, not the form's
    await member.logout()
    assert (await member.login("li.ming@example.com", "another password")).status_code == 400
    assert (await member.login("li.ming@example.com")).status_code == 200


async def test_the_mailed_link_creates_the_account_once_and_logs_in(
    client: FormClient, mailbox: Mailbox, db: Any
) -> None:
    sent = await client.submit(
        "/register", {"email": "Zhao@Example.com", "display_name": "赵云 🚀", "password": "long enough 1"}
    )
    assert "zhao@example.com" in sent.text
    stored = db.fetchval("SELECT password_hash FROM pending_registration")
    assert stored.startswith("$argon2id$")  # hashed when the form was sent
    await jobs_done(db)
    path = confirmation_path(mailbox.wait_for("zhao@example.com"))
    assert path is not None
    token = path.rsplit("/", 1)[1]
    assert db.fetchval("SELECT count(*) FROM pending_registration WHERE token_hash = $1", token) == 0

    page = await client.get(path)  # opening the link (a mail program's preview too) changes nothing
    assert page.status_code == 200 and "赵云 🚀" in page.text
    assert db.fetchval("SELECT count(*) FROM user_account") == 0
    done = await client.submit(path)
    assert str(done.url).endswith("/account") and "赵云 🚀" in done.text
    assert db.fetchval("SELECT count(*) FROM user_account") == 1
    assert db.fetchval("SELECT password_hash FROM pending_registration") is None

    await client.logout()
    again = await client.submit(path)
    assert again.status_code == 400 and "已失效" in again.text
    assert (await client.get(path)).status_code == 400
    assert (await client.login("zhao@example.com", "long enough 1")).status_code == 200


async def test_two_links_for_one_address_confirmed_at_once_make_one_account(
    make_client: Any, mailbox: Mailbox, db: Any
) -> None:
    people = [await make_client() for _ in range(2)]
    for i, person in enumerate(people):
        await person.submit(
            "/register",
            {"email": "same@example.com", "display_name": f"用户{i}", "password": "long enough 1"},
        )
    await jobs_done(db)
    paths = [confirmation_path(m) for m in mails_to(mailbox, "same@example.com")]
    assert len(paths) == 2 and all(paths)
    for person in people:
        await person.csrf_token()
    answers = await asyncio.gather(*(p.submit(str(path)) for p, path in zip(people, paths, strict=True)))
    assert sorted(a.status_code for a in answers) == [200, 400]
    refused = next(a for a in answers if a.status_code == 400)
    assert "已注册" in refused.text  # told to log in instead
    assert db.fetchval("SELECT count(*) FROM user_account") == 1


async def test_one_address_gets_at_most_three_registration_mails_an_hour(
    make_client: Any, mailbox: Mailbox, db: Any
) -> None:
    for i in range(4):
        visitor = await make_client()
        answer = await visitor.submit(
            "/register",
            {"email": "victim@example.com", "display_name": f"垃圾{i}", "password": "long enough 1"},
        )
        assert answer.status_code == 200
        await jobs_done(db)
    assert len(mails_to(mailbox, "victim@example.com")) == 3


async def test_with_the_mail_server_down_register_and_forgot_answer_at_once_the_same_for_any_address(
    settings: Settings, black_hole: int, db: Any
) -> None:
    from community.app import create_app

    # The member is arranged while mail works (their confirmation comes through).
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as raw:
        await FormClient(raw).register("known@example.com", "已知")

    app = create_app(replace(settings, smtp_port=black_hole))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as raw:
        client = FormClient(raw)
        pages: dict[str, list[str]] = {}
        for address in ("known@example.com", "unknown@example.com"):
            started = time.monotonic()
            forgot = await client.submit("/password/forgot", {"email": address})
            form = {"email": address, "display_name": "某人", "password": "long enough 1"}
            register = await client.submit("/register", form)
            assert time.monotonic() - started < 5, "the answer waited for the mail server"
            assert forgot.status_code == register.status_code == 200
            pages[address] = [without_tokens(p.text, address) for p in (forgot, register)]
        assert pages["known@example.com"] == pages["unknown@example.com"]


# --- 2. forgot-password ----------------------------------------------------------------------------------


async def test_forgot_password_for_an_unknown_address_looks_the_same_and_mails_nothing(
    client: FormClient, mailbox: Mailbox, db: Any
) -> None:
    await client.register("known@example.com")
    await client.logout()
    known = await client.submit("/password/forgot", {"email": "known@example.com"})
    unknown = await client.submit("/password/forgot", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known.text, "known@example.com") == without_tokens(
        unknown.text, "nobody@example.com"
    )
    await jobs_done(db)
    assert len(mails_to(mailbox, "known@example.com")) == 1
    assert mails_to(mailbox, "nobody@example.com") == []


async def test_one_address_gets_at_most_three_reset_mails_an_hour(
    make_client: Any, mailbox: Mailbox, db: Any
) -> None:
    member = await make_client()
    await member.register("target@example.com")
    for _ in range(4):
        other = await make_client()  # each from a browser of its own: only the address is the same
        assert (await other.submit("/password/forgot", {"email": "target@example.com"})).status_code == 200
        await jobs_done(db)
    assert len(mails_to(mailbox, "target@example.com")) == 3
    assert db.fetchval("SELECT count(*) FROM password_reset_token") == 3


# --- 2. invitations ----------------------------------------------------------------------------------------


async def test_invitations_are_limited_per_sender_and_per_address(settings: Settings, db: Any) -> None:
    from community.app import create_app

    limited = replace(settings, invitations_per_sender_per_hour=3, invitations_per_address_per_hour=2)
    async with AsyncTestClient(app=create_app(limited), base_url="http://testserver.local") as raw:
        owner = FormClient(raw)
        await owner.register("boss@example.com", "老板")
        await owner.submit("/orgs/new", FACTORY)
        statuses = [
            (await owner.submit("/orgs/changjiang/invitations", {"email": "same@example.com"})).status_code
            for _ in range(3)
        ]
        assert statuses == [200, 200, 400]  # the address's limit
        assert (
            await owner.submit("/orgs/changjiang/invitations", {"email": "b@example.com"})
        ).status_code == 200
        refused = await owner.submit("/orgs/changjiang/invitations", {"email": "c@example.com"})
        assert refused.status_code == 400 and 'id="e-email"' in refused.text  # the sender's limit
    assert db.fetchval("SELECT count(*) FROM invitation") == 3


async def test_a_member_s_words_in_an_invitation_cannot_pose_as_the_site(
    make_client: Any, mailbox: Mailbox
) -> None:
    owner = await make_client()
    await owner.register("boss@example.com", "客服 support@evil.example")
    bait = "账户异常 请立即登录 http://evil.example/login 验证 " + "长" * 80
    created = await owner.submit("/orgs/new", {**FACTORY, "name": bait[:100]})
    assert created.status_code == 200
    await owner.submit("/orgs/changjiang/invitations", {"email": "victim@example.com"})
    mail = mailbox.wait_for("victim@example.com")
    body = Mailbox.body(mail)
    assert "evil.example" not in body and "http://evil" not in body and "support@evil" not in body
    assert "“账户异常 请立即登录" in body  # in quotes, as the member's words
    assert "长" * 60 not in body  # shortened
    subject = str(make_header(decode_header(str(mail["Subject"]))))
    assert "邀请" in subject and "账户异常" not in subject and "evil" not in subject
    links = re.findall(r"https?://\S+", body)
    assert len(links) == 1 and urlsplit(links[0]).netloc == "testserver.local"


# --- 3. argon2 off the event loop --------------------------------------------------------------------------


async def test_password_hashing_never_runs_on_the_event_loop(
    make_client: Any, mailbox: Mailbox, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_loop: list[str] = []

    def watch(name: str) -> None:
        original = getattr(argon2.PasswordHasher, name)

        def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                asyncio.get_running_loop()
                on_loop.append(name)
            except RuntimeError:
                pass
            return original(self, *args, **kwargs)

        monkeypatch.setattr(argon2.PasswordHasher, name, watched)

    watch("hash")
    watch("verify")
    member = await make_client()
    await member.register("argon@example.com")  # the form's hash
    await member.logout()
    await member.login("argon@example.com", "wrong password")
    await member.login("nobody@example.com", "wrong password")
    await member.login("argon@example.com")
    await member.submit(
        "/account/password", {"current_password": "correct horse 42", "new_password": "a new password 1"}
    )
    await member.logout()
    await member.submit("/password/forgot", {"email": "argon@example.com"})
    await jobs_done(db)
    path = urlsplit(Mailbox.link(mailbox.wait_for("argon@example.com"))).path
    assert (await member.submit(path, {"password": "a third password"})).status_code == 200
    assert on_loop == []


# --- 4. the secret key -------------------------------------------------------------------------------------


def test_processes_starting_together_agree_on_one_complete_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    for round_ in range(20):
        var_dir = tmp_path / f"var{round_}"
        barrier = threading.Barrier(8)
        keys: list[str] = []
        errors: list[BaseException] = []

        def start(
            var_dir: Path = var_dir,
            barrier: threading.Barrier = barrier,
            keys: list[str] = keys,
            errors: list[BaseException] = errors,
        ) -> None:
            barrier.wait()
            try:
                keys.append(_secret_key(var_dir))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=start) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(set(keys)) == 1 and len(keys[0]) >= 32
        assert (var_dir / "secret_key").read_text() == keys[0]
        assert [p.name for p in var_dir.iterdir()] == ["secret_key"]  # no temporary file left


def test_an_empty_or_short_key_is_refused_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(ConfigError, match="secret_key"):
        _secret_key(tmp_path)
    (tmp_path / "secret_key").write_text("short\n")
    with pytest.raises(ConfigError):
        _secret_key(tmp_path)
    monkeypatch.setenv("SECRET_KEY", "")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env()
    monkeypatch.setenv("SECRET_KEY", "x" * 31)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env()
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    assert Settings.from_env().secret_key == "x" * 32
