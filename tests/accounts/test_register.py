"""Registration: the happy path, and bad input that comes back with the fields kept and nothing stored."""

from __future__ import annotations

import pytest

from tests.accounts.test_trust import jobs_done
from tests.conftest import FormClient, Mailbox, confirmation_path


async def test_register_logs_in_and_shows_the_account(client: FormClient, db) -> None:
    response = await client.register("Wang.Fang@Example.com", "王芳 Fang 🚀")
    assert response.status_code == 200  # followed the redirect
    assert str(response.url).endswith("/account")
    assert "王芳 Fang 🚀" in response.text
    assert db.fetchval("SELECT email FROM user_account") == "wang.fang@example.com"
    stored = db.fetchval("SELECT password_hash FROM user_account")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"email": "", "display_name": "李明", "password": "longenough1"}, "email", "邮箱"),
        ({"email": "not-an-email", "display_name": "李明", "password": "longenough1"}, "email", "邮箱"),
        ({"email": "a@example.com", "display_name": "", "password": "longenough1"}, "display_name", "名"),
        ({"email": "a@example.com", "display_name": "   ", "password": "longenough1"}, "display_name", "名"),
        (
            {"email": "a@example.com", "display_name": "名" * 10_000, "password": "longenough1"},
            "display_name",
            "50",
        ),
        ({"email": "a@example.com", "display_name": "李明", "password": "short"}, "password", "8"),
    ],
)
async def test_bad_input_comes_back_with_fields_kept_and_nothing_stored(
    client: FormClient, db, form: dict[str, str], field: str, message: str
) -> None:
    response = await client.submit("/register", form)
    assert response.status_code == 400
    html = response.text
    # the error stands beside its field
    error = html.split(f'id="e-{field}"', 1)
    assert len(error) == 2, f"no error beside {field}"
    assert message in error[1].split("</p>", 1)[0]
    # the other fields are kept (never the password)
    for name, value in form.items():
        if name != "password" and value.strip() and len(value) < 100:
            assert f'value="{value}"' in html
    assert 'value="longenough1"' not in html and 'value="short"' not in html
    assert db.fetchval("SELECT count(*) FROM user_account") == 0


async def test_registering_a_known_address_whatever_its_case_makes_no_second_account(make_client, db) -> None:
    first, second = await make_client(), await make_client()
    assert (await first.register("li.ming@example.com")).status_code == 200
    # The page does not say the address is taken (only its owner learns that, by mail).
    response = await second.register("  LI.MING@example.com ", "另一个李明")
    assert response.status_code == 200
    assert "已注册" not in response.text and "li.ming@example.com" in response.text
    assert db.fetchval("SELECT count(*) FROM user_account") == 1
    assert db.fetchval("SELECT display_name FROM user_account") == "测试用户"


async def test_html_in_a_name_is_shown_escaped(make_client) -> None:
    nasty = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    author = await make_client()
    response = await author.register("x@example.com", nasty[:50])
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    # and on the organization members page, where others see the name
    await author.submit("/orgs/new", {"name": "测试 Studio", "org_type": "opc", "slug": "test-studio"})
    members = await author.get("/orgs/test-studio/members")
    assert "<script>alert(1)" not in members.text
    assert "&lt;script&gt;" in members.text


async def test_sql_looking_input_is_just_text(client: FormClient, db) -> None:
    response = await client.register("o'brien@example.com", "Robert'); DROP TABLE user_account;--")
    assert response.status_code == 200
    assert db.fetchval("SELECT display_name FROM user_account") == "Robert'); DROP TABLE user_account;--"


async def test_two_registrations_with_one_address_at_once_store_one(
    make_client, mailbox: Mailbox, db
) -> None:
    import asyncio

    clients = [await make_client() for _ in range(4)]
    for c in clients:
        await c.csrf_token()
    form = {"email": "same@example.com", "password": "correct horse 42"}
    sent = await asyncio.gather(
        *(c.submit("/register", {**form, "display_name": f"用户{i}"}) for i, c in enumerate(clients))
    )
    assert [r.status_code for r in sent] == [200] * 4
    await jobs_done(db)
    paths = [confirmation_path(m) for m in mailbox.messages if "same@example.com" in str(m["To"])]
    assert 1 < len(paths) <= 3 and all(paths)  # at most three such mails an hour to one address
    answers = await asyncio.gather(*(c.submit(str(p)) for c, p in zip(clients, paths, strict=False)))
    assert sorted(r.status_code for r in answers) == [200] + [400] * (len(paths) - 1)
    assert db.fetchval("SELECT count(*) FROM user_account") == 1


async def test_a_name_keeps_its_emoji_joiner_but_loses_invisible_and_bidi_characters(
    client: FormClient, db
) -> None:
    typed = "\u202e👩\u200d💻 Ada\u200b\u2066"  # a right-to-left override, a zero-width space, an isolate
    response = await client.register("ada@example.com", typed)
    assert response.status_code == 200
    assert db.fetchval("SELECT display_name FROM user_account") == "👩\u200d💻 Ada"
    assert "👩\u200d💻 Ada" in response.text
