"""Members: registering, logging in, the profile, the password and its reset by a mailed link."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from community.accounts.models import PasswordResetToken, User
from community.accounts.services.passwords import (
    hash_password,
    hash_token,
    needs_rehash,
    new_link_token,
    password_matches,
)
from community.accounts.services.rules import (
    NAME_MAX,
    check_display_name,
    check_email,
    check_password,
    normalize_email,
    refuse,
)
from community.errors import FormError
from community.i18n import _
from community.kernel.clock import now
from community.kernel.models import get_or_404
from community.kernel.text import clean_line

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.notifications.email import Mailer


def _already_registered() -> str:
    return _("This email address is already registered. Log in, or reset the password.")


class AccountService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def get(self, user_id: UUID) -> User | None:
        return await self.db.get(User, user_id)

    async def get_or_fail(self, user_id: UUID) -> User:
        return await get_or_404(self.db, User, user_id)

    async def by_email(self, email: str) -> User | None:
        return await self.db.scalar(select(User).where(User.email == normalize_email(email)))

    async def register(self, email: str, display_name: str, password: str, locale: str | None = None) -> User:
        email = normalize_email(email)
        display_name = clean_line(display_name)
        errors: dict[str, str] = {}
        check_email(email, errors)
        check_display_name(display_name, errors)
        check_password(password, errors)
        if "email" not in errors and await self.by_email(email):
            errors["email"] = _already_registered()
        refuse(errors)
        user = User(
            email=email, display_name=display_name, password_hash=hash_password(password), locale=locale
        )
        self.db.add(user)
        try:
            await self.db.flush()
        except IntegrityError as exc:  # two registrations with one address at the same moment
            await self.db.rollback()
            raise FormError({"email": _already_registered()}) from exc
        return user

    async def authenticate(self, email: str, password: str) -> User:
        user = await self.by_email(email)
        matches = password_matches(user.password_hash if user else None, password)
        if user is None or not matches or not user.is_active:
            raise FormError({"password": _("The email address or the password is wrong.")})
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = now()
        return user

    async def set_locale(self, user: User, locale: str) -> None:
        db_user = await self.db.get(User, user.id)
        if db_user is not None:
            db_user.locale = locale

    async def update_profile(self, user_id: UUID, display_name: str) -> User:
        display_name = clean_line(display_name)
        refuse(check_display_name(display_name, {}))
        user = await self.get_or_fail(user_id)
        user.display_name = display_name
        return user

    async def change_password(self, user_id: UUID, current: str, new: str) -> User:
        """A new password; every session started before it ends (the epoch moves on)."""
        user = await self.get_or_fail(user_id)
        errors: dict[str, str] = {}
        if not password_matches(user.password_hash, current):
            errors["current_password"] = _("The current password is wrong.")
        refuse(check_password(new, errors, "new_password"))
        user.password_hash = hash_password(new)
        user.session_epoch += 1
        return user

    async def create_admin(self, email: str, password: str, display_name: str | None = None) -> User:
        """Create a site admin, or make an existing member one and set the password."""
        email = normalize_email(email)
        refuse(check_password(password, check_email(email, {})))
        user = await self.by_email(email)
        if user is None:
            user = User(
                email=email,
                display_name=clean_line(display_name) or email.split("@")[0][:NAME_MAX],
                password_hash=hash_password(password),
            )
            self.db.add(user)
        else:
            user.password_hash = hash_password(password)
            user.session_epoch += 1
        user.is_admin = True
        user.is_active = True
        await self.db.flush()
        return user

    async def start_password_reset(self, email: str, reset_url: str, mailer: Mailer, ttl: int) -> None:
        """Mail a single-use reset link if the address is registered. Says nothing either way, so that
        the form cannot be used to learn who has an account."""
        email = normalize_email(email)
        refuse(check_email(email, {}))
        user = await self.by_email(email)
        if user is None or not user.is_active:
            return
        token, token_hash = new_link_token()
        self.db.add(
            PasswordResetToken(
                user_id=user.id, token_hash=token_hash, expires_at=now() + timedelta(seconds=ttl)
            )
        )
        await self.db.flush()
        await mailer.send_template(
            user.email,
            _("Reset your password"),
            "accounts/email/password_reset.txt",
            name=user.display_name,
            url=f"{reset_url.rstrip('/')}/{token}",
            minutes=ttl // 60,
        )

    async def _reset_token(self, token: str) -> PasswordResetToken | None:
        row = await self.db.scalar(
            select(PasswordResetToken)
            .where(PasswordResetToken.token_hash == hash_token(token))
            .with_for_update()
        )
        if row is None or row.used_at is not None or row.expires_at < now():
            return None
        return row

    async def reset_token_is_valid(self, token: str) -> bool:
        return await self._reset_token(token) is not None

    async def reset_password(self, token: str, password: str) -> User:
        row = await self._reset_token(token)
        if row is None:
            raise FormError({"token": _("This link has expired or was already used. Ask for a new one.")})
        refuse(check_password(password, {}))
        user = await self.get_or_fail(row.user_id)
        user.password_hash = hash_password(password)
        user.session_epoch += 1  # whoever was logged in with the old password is logged out
        row.used_at = now()
        return user
