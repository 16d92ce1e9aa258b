"""Password hashing with Argon2id (argon2-cffi's current recommended parameters)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
# A real hash to verify against when the user does not exist, so that an unknown
# username costs the same time as a wrong password (no user enumeration by timing).
_DUMMY_HASH = _HASHER.hash("not-a-password-of-anyone")


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; a missing hash still spends the same time."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the stored hash uses older parameters and should be replaced."""
    return _HASHER.check_needs_rehash(password_hash)
