"""A forgotten password is reset by a single-use link mailed through a real SMTP server on loopback."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.accounts.test_trust import jobs_done
from tests.conftest import FormClient, Mailbox


async def test_reset_by_mailed_link_works_once(client: FormClient, mailbox: Mailbox, db) -> None:
    await client.register("zhang.wei@example.com", "张薇")
    await client.logout()

    sent = await client.submit("/password/forgot", {"email": "Zhang.Wei@example.com"})
    assert sent.status_code == 200
    assert "zhang.wei@example.com" in sent.text.lower()

    mail = mailbox.wait_for("zhang.wei@example.com")
    await jobs_done(db)  # the job that sent it has stored the token
    assert "张薇" in Mailbox.body(mail)
    link = Mailbox.link(mail)
    path = urlsplit(link).path
    assert path.startswith("/password/reset/")
    # only a hash of the token is stored
    token = path.rsplit("/", 1)[1]
    assert db.fetchval("SELECT count(*) FROM password_reset_token WHERE token_hash = $1", token) == 0

    form = await client.get(path)
    assert form.status_code == 200
    too_short = await client.submit(path, {"password": "short"})
    assert too_short.status_code == 400 and 'id="e-password"' in too_short.text

    done = await client.submit(path, {"password": "a brand new secret"})
    assert done.status_code == 200 and str(done.url).endswith("/account")
    await client.logout()
    assert (await client.login("zhang.wei@example.com", "correct horse 42")).status_code == 400
    assert (await client.login("zhang.wei@example.com", "a brand new secret")).status_code == 200
    await client.logout()

    again = await client.submit(path, {"password": "yet another secret"})
    assert again.status_code == 400
    assert "已失效" in again.text or "过期" in again.text
    assert (await client.get(path)).status_code == 400


async def test_unknown_address_gets_the_same_answer_and_no_mail(
    client: FormClient, mailbox: Mailbox, db
) -> None:
    response = await client.submit("/password/forgot", {"email": "nobody@example.com"})
    assert response.status_code == 200
    assert "nobody@example.com" in response.text
    await jobs_done(db)
    assert mailbox.messages == []


async def test_bad_address_is_explained(client: FormClient) -> None:
    response = await client.submit("/password/forgot", {"email": "<script>x</script>"})
    assert response.status_code == 400
    assert 'id="e-email"' in response.text
    assert "<script>x</script>" not in response.text


async def test_a_made_up_token_is_refused(client: FormClient) -> None:
    response = await client.get("/password/reset/made-up-token")
    assert response.status_code == 400
    assert "重新" in response.text or "新的" in response.text
