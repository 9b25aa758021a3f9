"""Members: registering (confirmed by a mailed link), logging in, the profile, the password and its reset by a
mailed link.

Registering and asking for a reset answer the same, in the same time, whether the address has an account or
not: the request only checks the form and queues a job; the job (``community.accounts.jobs``) finds out
which case it is and mails the address's owner, and only them. Each address gets at most
``mails_per_address_per_hour`` of each kind of mail."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError

from community import i18n
from community.accounts.models import PasswordResetToken, PendingRegistration, User
from community.accounts.services.handles import HandleService, check_handle, taken_message
from community.accounts.services.passwords import (
    hash_password_in_thread,
    hash_token,
    needs_rehash,
    new_link_token,
    password_matches_in_thread,
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
from community.jobs import enqueue
from community.kernel.clock import now
from community.kernel.models import get_or_404
from community.kernel.text import clean_line

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings
    from community.notifications.email import Mailer

JOB_REGISTRATION_MAIL = "accounts.registration_mail"
JOB_PASSWORD_RESET = "accounts.password_reset"  # noqa: S105 (a job kind)
HOUR = timedelta(hours=1)


def _already_registered() -> str:
    return _("This email address is already registered. Log in, or reset the password.")


def _link_expired() -> str:
    return _("This link has expired or was already used. Register again to get a new one.")


def site_link(settings: Settings, path: str) -> str:
    """An address on this site for a mail: from BASE_URL, never from the Host a request names."""
    return settings.base_url.rstrip("/") + path


async def lock_for(db: AsyncSession, key: str) -> None:
    """Until this transaction ends, no other takes the same ``key``: count-then-insert limits hold when
    several requests (or processes) race."""
    await db.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def _is_handle_clash(exc: IntegrityError) -> bool:
    return "uq_user_account_handle" in str(exc.orig)


def hourly_limit(settings: Settings, limit: int) -> int | None:
    """The limit to apply, or None when the site's limits are off (or this one is 0)."""
    return limit if settings.rate_limits_enabled and limit > 0 else None


class AccountService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def get(self, user_id: UUID) -> User | None:
        return await self.db.get(User, user_id)

    async def get_or_fail(self, user_id: UUID) -> User:
        return await get_or_404(self.db, User, user_id)

    async def by_email(self, email: str) -> User | None:
        return await self.db.scalar(select(User).where(User.email == normalize_email(email)))

    async def register(
        self, email: str, display_name: str, password: str, locale: str | None = None, handle: str = ""
    ) -> User:
        """Create an account at once (the command line, and tests arranging members). The site's form asks
        for a registration instead (``request_registration``), finished from the mailed link. Without a
        ``handle``, one is made from the name."""
        email = normalize_email(email)
        display_name = clean_line(display_name)
        handle = clean_line(handle)
        errors: dict[str, str] = {}
        check_email(email, errors)
        check_display_name(display_name, errors)
        check_password(password, errors)
        await self._check_new_handle(handle, display_name, errors)
        if "email" not in errors and await self.by_email(email):
            errors["email"] = _already_registered()
        refuse(errors)
        password_hash = await hash_password_in_thread(password)
        handle = handle or await HandleService(self.db).suggest(display_name)
        user = User(
            email=email, display_name=display_name, handle=handle, password_hash=password_hash, locale=locale
        )
        self.db.add(user)
        try:
            await self.db.flush()
        except IntegrityError as exc:  # two registrations with one address (or handle) at the same moment
            await self.db.rollback()
            if _is_handle_clash(exc):
                suggestion = await HandleService(self.db).suggest(handle)
                raise FormError({"handle": taken_message(suggestion)}) from exc
            raise FormError({"email": _already_registered()}) from exc
        return user

    async def _check_new_handle(self, handle: str, display_name: str, errors: dict[str, str]) -> None:
        """A handle typed in a form: well formed and free (an empty one is made from the name later)."""
        if not handle:
            return
        if check_handle(handle, errors):
            return
        handles = HandleService(self.db)
        if not await handles.is_free(handle):
            errors["handle"] = taken_message(await handles.suggest(display_name, wanted=handle))

    async def suggest_handle(self, display_name: str) -> str:
        """A free handle made from a name, for the registration form to offer."""
        return await HandleService(self.db).suggest(clean_line(display_name))

    async def authenticate(self, email: str, password: str) -> User:
        user = await self.by_email(email)
        matches = await password_matches_in_thread(user.password_hash if user else None, password)
        if user is None or not matches or not user.is_active:
            raise FormError({"password": _("The email address or the password is wrong.")})
        if needs_rehash(user.password_hash):
            user.password_hash = await hash_password_in_thread(password)
        user.last_login_at = now()
        return user

    async def set_locale(self, user: User, locale: str) -> None:
        db_user = await self.db.get(User, user.id)
        if db_user is not None:
            db_user.locale = locale

    async def update_profile(self, user_id: UUID, display_name: str, handle: str | None = None) -> User:
        """A new name, and a new handle when one is given. A handle taken by someone else (in any case) is
        refused; the unique index decides between two members taking one at the same moment."""
        display_name = clean_line(display_name)
        errors = check_display_name(display_name, {})
        user = await self.get_or_fail(user_id)
        if handle is not None:
            handle = clean_line(handle)
            handles = HandleService(self.db)
            if not check_handle(handle, errors, "handle") and not await handles.is_free(handle, but=user.id):
                errors["handle"] = taken_message(await handles.suggest(display_name, wanted=handle))
        refuse(errors)
        user.display_name = display_name
        if handle is not None:
            user.handle = handle
        try:
            await self.db.flush()
        except IntegrityError as exc:
            await self.db.rollback()
            if _is_handle_clash(exc):
                suggestion = await HandleService(self.db).suggest(display_name)
                raise FormError({"handle": taken_message(suggestion)}) from exc
            raise
        return user

    async def change_password(self, user_id: UUID, current: str, new: str) -> User:
        """A new password; every session started before it ends (the epoch moves on)."""
        user = await self.get_or_fail(user_id)
        errors: dict[str, str] = {}
        if not await password_matches_in_thread(user.password_hash, current):
            errors["current_password"] = _("The current password is wrong.")
        refuse(check_password(new, errors, "new_password"))
        user.password_hash = await hash_password_in_thread(new)
        user.session_epoch += 1
        return user

    async def create_admin(self, email: str, password: str, display_name: str | None = None) -> User:
        """Create a site admin, or make an existing member one and set the password."""
        email = normalize_email(email)
        refuse(check_password(password, check_email(email, {})))
        user = await self.by_email(email)
        if user is None:
            name = clean_line(display_name) or email.split("@")[0][:NAME_MAX]
            user = User(
                email=email,
                display_name=name,
                handle=await HandleService(self.db).suggest(name),
                password_hash=await hash_password_in_thread(password),
            )
            self.db.add(user)
        else:
            user.password_hash = await hash_password_in_thread(password)
            user.session_epoch += 1
        user.is_admin = True
        user.is_active = True
        await self.db.flush()
        return user

    async def start_password_reset(self, email: str) -> str:
        """Queue a reset mail for ``email`` and give the address back as typed, cleaned. Registered or not,
        the work here is the same (the job finds out), so neither the answer nor its time tells."""
        email = normalize_email(email)
        refuse(check_email(email, {}))
        # While one waits for the worker, asking again adds nothing.
        await enqueue(
            self.db, JOB_PASSWORD_RESET, {"email": email}, dedupe_key=f"{JOB_PASSWORD_RESET}:{email}"
        )
        return email

    async def send_password_reset(self, email: str, mailer: Mailer, settings: Settings) -> bool:
        """The job: mail a single-use reset link if ``email`` belongs to an active member and has not had
        ``mails_per_address_per_hour`` of them this hour. True when a mail went."""
        await lock_for(self.db, f"{JOB_PASSWORD_RESET}:{email}")
        user = await self.by_email(email)
        if user is None or not user.is_active:
            return False
        limit = hourly_limit(settings, settings.mails_per_address_per_hour)
        if limit is not None:
            sent = await self.db.scalar(
                select(func.count())
                .select_from(PasswordResetToken)
                .where(PasswordResetToken.user_id == user.id, PasswordResetToken.created_at > now() - HOUR)
            )
            if (sent or 0) >= limit:
                return False
        token, token_hash = new_link_token()
        ttl = settings.password_reset_ttl
        self.db.add(
            PasswordResetToken(
                user_id=user.id, token_hash=token_hash, expires_at=now() + timedelta(seconds=ttl)
            )
        )
        await self.db.flush()
        with i18n.locale(user.locale or settings.default_locale):
            await mailer.send_template(
                user.email,
                _("Reset your password"),
                "accounts/email/password_reset.txt",
                name=user.display_name,
                url=site_link(settings, f"/password/reset/{token}"),
                minutes=ttl // 60,
            )
        return True

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
        user.password_hash = await hash_password_in_thread(password)
        user.session_epoch += 1  # whoever was logged in with the old password is logged out
        row.used_at = now()
        return user

    # --- registering by a mailed link ------------------------------------------------------------------

    async def request_registration(
        self,
        email: str,
        display_name: str,
        password: str,
        *,
        locale: str | None,
        next_url: str,
        ttl: int,
        handle: str = "",
    ) -> str:
        """Keep the form (the password hashed now) and queue the mail; give the address back, cleaned. Whether
        the address has an account is not looked at here: the answer and its time are the same either way.
        A handle is checked now (handles are public: saying one is taken tells nothing private)."""
        email = normalize_email(email)
        display_name = clean_line(display_name)
        handle = clean_line(handle)
        errors: dict[str, str] = {}
        check_email(email, errors)
        check_display_name(display_name, errors)
        check_password(password, errors)
        await self._check_new_handle(handle, display_name, errors)
        refuse(errors)
        pending = PendingRegistration(
            email=email,
            display_name=display_name,
            handle=handle or None,
            password_hash=await hash_password_in_thread(password),
            locale=locale,
            next_url=next_url or None,
            expires_at=now() + timedelta(seconds=ttl),
        )
        self.db.add(pending)
        await self.db.flush()
        await enqueue(self.db, JOB_REGISTRATION_MAIL, {"id": str(pending.id)})
        return email

    async def send_registration_mail(
        self, pending_id: UUID, mailer: Mailer, settings: Settings
    ) -> str | None:
        """The job: mail the link that finishes the registration, or, when the address already has an
        account, a note saying so to its owner. Nothing once the address had ``mails_per_address_per_hour``
        such mails this hour. The kind of mail sent ("confirm", "exists"), or None."""
        pending = await self.db.get(PendingRegistration, pending_id, with_for_update=True)
        if pending is None or pending.mailed_at is not None or pending.password_hash is None:
            return None
        await lock_for(self.db, f"{JOB_REGISTRATION_MAIL}:{pending.email}")
        limit = hourly_limit(settings, settings.mails_per_address_per_hour)
        if limit is not None:
            sent = await self.db.scalar(
                select(func.count())
                .select_from(PendingRegistration)
                .where(
                    PendingRegistration.email == pending.email, PendingRegistration.mailed_at > now() - HOUR
                )
            )
            if (sent or 0) >= limit:
                pending.password_hash = None  # never an account: its link was not sent
                return None
        pending.mailed_at = now()
        user = await self.by_email(pending.email)
        if user is not None:
            pending.password_hash = None
            with i18n.locale(user.locale or pending.locale or settings.default_locale):
                await mailer.send_template(
                    user.email,
                    _("You already have an account"),
                    "accounts/email/account_exists.txt",
                    name=user.display_name,
                    login_url=site_link(settings, "/login"),
                    reset_url=site_link(settings, "/password/forgot"),
                )
            return "exists"
        token, pending.token_hash = new_link_token()
        with i18n.locale(pending.locale or settings.default_locale):
            # The name typed in the form is not in the mail: anyone can type any address there, and the
            # site does not carry their words to it.
            await mailer.send_template(
                pending.email,
                _("Finish creating your account"),
                "accounts/email/confirm_registration.txt",
                url=site_link(settings, f"/register/confirm/{token}"),
                hours=max(1, settings.registration_ttl // 3600),
            )
        return "confirm"

    async def _pending(self, token: str, lock: bool = False) -> PendingRegistration | None:
        query = select(PendingRegistration).where(PendingRegistration.token_hash == hash_token(token))
        pending = await self.db.scalar(query.with_for_update() if lock else query)
        if (
            pending is None
            or pending.confirmed_at is not None
            or pending.password_hash is None
            or pending.expires_at < now()
        ):
            return None
        return pending

    async def pending_registration(self, token: str) -> PendingRegistration | None:
        """The registration a mailed link finishes, while it still can."""
        return await self._pending(token)

    async def confirm_registration(self, token: str) -> tuple[User, str | None]:
        """Create the account the mailed link stands for; the member and where they were going. Twice the same
        link, or two links for one address at once: one account, and the other is told to log in."""
        pending = await self._pending(token, lock=True)
        if pending is None:
            raise FormError({"token": _link_expired()})
        if await self.by_email(pending.email) is not None:
            raise FormError({"token": _already_registered()})
        # The handle chosen in the form, if nobody took it since; else a free one like it (the member
        # changes it on their account page).
        user = User(
            email=pending.email,
            display_name=pending.display_name,
            handle=await HandleService(self.db).suggest(pending.display_name, wanted=pending.handle or ""),
            password_hash=pending.password_hash,
            locale=pending.locale,
        )
        self.db.add(user)
        pending.confirmed_at = now()
        pending.password_hash = None
        try:
            await self.db.flush()
        except IntegrityError as exc:  # another link for the same address was opened at the same moment
            await self.db.rollback()
            if _is_handle_clash(exc):  # or another member took the same handle at that moment: again
                again = _("Something changed at the same moment. Press the button again.")
                raise FormError({"token": again}) from exc
            raise FormError({"token": _already_registered()}) from exc
        return user, pending.next_url

    async def forget_stale(self) -> None:
        """Registrations past their link's life, and reset tokens a day past theirs, are dropped (the hourly
        limits look back one hour only)."""
        await self.db.execute(delete(PendingRegistration).where(PendingRegistration.expires_at < now()))
        await self.db.execute(
            delete(PasswordResetToken).where(PasswordResetToken.expires_at < now() - timedelta(days=1))
        )
