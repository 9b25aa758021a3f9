"""Passwords and single-use links: how they are hashed and checked. Only hashes are ever stored."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verified against when the address is unknown, so that a wrong address takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


# argon2 takes some 50 ms of CPU and 64 MiB per hash: it runs in these threads, never on the event loop, and
# at most this many at once, so a burst of logins neither stalls other requests nor takes all the memory.
_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="argon2")


async def hash_password_in_thread(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_THREADS, hash_password, password)


async def password_matches_in_thread(password_hash: str | None, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(
        _THREADS, password_matches, password_hash, password
    )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one hashed; with no hash (no such member) it takes as long and says no."""
    try:
        _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """The hash was made with weaker parameters than today's: store a new one at the next login."""
    return _hasher.check_needs_rehash(password_hash)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link_token() -> tuple[str, str]:
    """A token for a link sent by mail (password reset, invitation), and the hash to store for it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)
