"""Logging in and out: sessions rotate at login, end at logout, and guessing passwords is throttled."""

from __future__ import annotations

from tests.conftest import FormClient


async def test_login_logout_cycle(client: FormClient) -> None:
    await client.register("li.ming@example.com", "李明")
    await client.logout()
    home = await client.get("/")
    assert "李明" not in home.text and "/login" in home.text

    wrong = await client.login("li.ming@example.com", "not the password")
    assert wrong.status_code == 400
    assert "邮箱或密码不正确" in wrong.text or "错误" in wrong.text
    assert 'value="li.ming@example.com"' in wrong.text  # the email is kept, the password is not

    right = await client.login("LI.MING@example.com")
    assert right.status_code == 200
    assert "李明" in right.text


async def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client: FormClient) -> None:
    await client.register("a@example.com")
    await client.logout()
    unknown = await client.login("nobody@example.com", "whatever123")
    wrong = await client.login("a@example.com", "whatever123")
    assert unknown.status_code == wrong.status_code == 400
    strip = lambda html: html.replace("nobody@example.com", "X").replace("a@example.com", "X")  # noqa: E731
    assert strip(unknown.text).split("<main")[1].split("</main>")[0].replace('value="X"', "") == strip(
        wrong.text
    ).split("<main")[1].split("</main>")[0].replace('value="X"', "")


async def test_session_is_rotated_at_login_and_ended_at_logout(make_client) -> None:
    browser = await make_client()
    await browser.register("a@example.com")
    await browser.logout()
    await browser.submit("/language", {"lang": "en", "next": "/"})  # something that may set a session
    before = browser.cookies.get("opc_session")
    await browser.login("a@example.com")
    after = browser.cookies.get("opc_session")
    assert after and after != before

    # A copy of the logged-in cookie works until logout, and not after it.
    thief = await make_client()
    thief.cookies.set("opc_session", after, domain="testserver.local")
    assert (await thief.get("/account", follow_redirects=False)).status_code == 200
    await browser.logout()
    gone = await thief.get("/account", follow_redirects=False)
    assert gone.status_code in (302, 303) and "/login" in gone.headers["location"]


async def test_pages_for_members_send_visitors_to_login_and_back(client: FormClient) -> None:
    response = await client.get("/account", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/login?next=/account"
    await client.register("b@example.com")
    await client.logout()
    back = await client.submit(
        "/login",
        {"email": "b@example.com", "password": "correct horse 42", "next": "/account"},
        follow_redirects=False,
    )
    assert back.headers["location"] == "/account"


async def test_login_never_redirects_to_another_site(client: FormClient) -> None:
    await client.register("c@example.com")
    await client.logout()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = await client.submit(
            "/login",
            {"email": "c@example.com", "password": "correct horse 42", "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/", target
        await client.logout()


async def test_eleven_wrong_passwords_in_a_minute_get_429_with_a_clear_message(client: FormClient) -> None:
    await client.register("d@example.com")
    await client.logout()
    statuses = [(await client.login("d@example.com", f"wrong-{i}")).status_code for i in range(11)]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    last = await client.login("d@example.com")  # even the right password waits
    assert last.status_code == 429
    assert "秒后重试" in last.text
    assert int(last.headers["retry-after"]) > 0
    # Other forms keep working meanwhile.
    assert (await client.get("/login")).status_code == 200


async def test_post_without_csrf_token_is_refused(client: FormClient, db) -> None:
    await client.get("/register")
    response = await client.post(
        "/register", data={"email": "e@example.com", "display_name": "E", "password": "longenough1"}
    )
    assert response.status_code == 403
    assert "刷新页面" in response.text
    assert db.fetchval("SELECT count(*) FROM user_account") == 0
    assert db.fetchval("SELECT count(*) FROM pending_registration") == 0
    forged = await client.post(
        "/register",
        data={
            "email": "e@example.com",
            "display_name": "E",
            "password": "longenough1",
            "_csrf_token": "forged",
        },
    )
    assert forged.status_code == 403
    # htmx sends the token in a header
    token = await client.csrf_token()
    via_header = await client.post(
        "/register",
        data={"email": "e@example.com", "display_name": "E", "password": "longenough1"},
        headers={"x-csrftoken": token, "hx-request": "true"},
    )
    assert via_header.status_code == 200
    # only the request with its token was taken (registering waits for the mailed link)
    assert db.fetchval("SELECT count(*) FROM pending_registration") == 1


async def test_changing_the_password_ends_every_other_session(make_client) -> None:
    laptop, phone = await make_client(), await make_client()
    await laptop.register("two@example.com")
    await phone.login("two@example.com")
    assert (await phone.get("/account", follow_redirects=False)).status_code == 200
    changed = await laptop.submit(
        "/account/password", {"current_password": "correct horse 42", "new_password": "an even better one"}
    )
    assert changed.status_code == 200
    assert (await laptop.get("/account", follow_redirects=False)).status_code == 200  # this one goes on
    assert (await phone.get("/account", follow_redirects=False)).status_code in (302, 303)  # that one ended
