"""Student email codes: attempts are capped per account per day across every code (a new code does not
give new guesses), and so is the number of codes an account may ask for."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from community.errors import FormError
from community.i18n import _
from community.notifications.email import Mailer
from community.vouchers.services.students import (
    CODE_ATTEMPTS,
    CODE_ATTEMPTS_PER_DAY,
    CODES_PER_DAY,
    StudentService,
)
from tests.conftest import Mailbox
from tests.vouchers.conftest import World, add_user


async def _ask(students: StudentService, user: Any, world: World, mailbox: Mailbox, settings: Any) -> str:
    mailbox.clear()
    await students.start_email(user, str(world.university_id), "guess@whu.edu.cn", Mailer(settings))
    code = re.search(r"\b(\d{6})\b", mailbox.body(mailbox.wait_for("guess@whu.edu.cn")))
    assert code
    return code.group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_code_attempts_are_capped_per_day_across_new_codes(
    world: World, services: AsyncSession, settings: Any, mailbox: Mailbox
) -> None:
    db = services
    user = await add_user(db, "guesser@example.com")
    await db.commit()
    students = StudentService(db)
    tried = 0
    while tried < CODE_ATTEMPTS_PER_DAY:
        code = await _ask(students, user, world, mailbox, settings)
        for _n in range(min(CODE_ATTEMPTS, CODE_ATTEMPTS_PER_DAY - tried)):
            with pytest.raises(FormError):
                await students.confirm_code(user, _wrong(code))
            tried += 1
    # A new code gives no new guesses today: even the right code is refused, with a plain message.
    code = await _ask(students, user, world, mailbox, settings)
    with pytest.raises(FormError) as capped:
        await students.confirm_code(user, code)
    assert capped.value.errors["code"] == _(
        "You have tried %(n)s codes today, the most a day. Try again tomorrow, or send proof of your "
        "studies for an admin to review.",
        n=CODE_ATTEMPTS_PER_DAY,
    )
    assert not (await students.status(user.id)).verified


async def test_codes_asked_for_are_capped_per_day(
    world: World, services: AsyncSession, settings: Any, mailbox: Mailbox
) -> None:
    db = services
    user = await add_user(db, "asker@example.com")
    await db.commit()
    students = StudentService(db)
    for _n in range(CODES_PER_DAY):
        await _ask(students, user, world, mailbox, settings)
        await db.commit()
    mailbox.clear()
    with pytest.raises(FormError) as capped:
        await students.start_email(user, str(world.university_id), "guess@whu.edu.cn", Mailer(settings))
    assert capped.value.errors["email"] == _(
        "You have asked for %(n)s codes today, the most a day. Try again tomorrow.", n=CODES_PER_DAY
    )
    assert not mailbox.messages
