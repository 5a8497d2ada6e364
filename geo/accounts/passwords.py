"""Passwords hashed with argon2id (argon2-cffi's PasswordHasher and its current parameters).

A stored hash made with older parameters is replaced at the next successful sign-in. Checking
a name that has no password still runs one argon2 verification, so a wrong password and an
unknown username take about the same time.
"""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geo.core.errors import InvalidParameter

MIN_LENGTH = 8
# argon2 hashes any length, but an unbounded one is free work for an attacker.
MAX_LENGTH = 256

_hasher = PasswordHasher()


def check_new_password(password: str, *, where: str = "password") -> None:
    """Refuse a password too short or too long to be set (no composition rules: NIST 800-63B)."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidParameter(
            f"密码长度须为 {MIN_LENGTH}-{MAX_LENGTH} 个字符 "
            f"(a password has {MIN_LENGTH} to {MAX_LENGTH} characters).",
            where=where,
        )


def hash_password(password: str) -> str:
    check_new_password(password)
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return _hasher.hash("a password nobody has")


def verify_password(stored: str | None, password: str) -> tuple[bool, str | None]:
    """(matches, new hash when the stored one uses old parameters, else None)."""
    if len(password) > MAX_LENGTH:
        return False, None
    try:
        _hasher.verify(stored or _decoy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False, None
    if stored is None:  # the decoy never signs anyone in
        return False, None
    return True, _hasher.hash(password) if _hasher.check_needs_rehash(stored) else None
