"""Password hashing for annotator logins, with the standard library only (``hashlib.scrypt``).

Why scrypt: it is memory-hard (slow to brute-force on GPUs), ships with Python, and so adds no
dependency. A stored hash carries its own parameters and salt, ``scrypt$n$r$p$salt_b64$hash_b64``,
so the cost can be raised later without breaking old hashes. Comparison is constant-time
(``hmac.compare_digest``) so response timing does not leak how much of a guess was right.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1  # about 16 MiB and a few tens of milliseconds per hash
SALT_BYTES = 16
HASH_BYTES = 32
MAX_PASSWORD_CHARS = 1024  # bounds the work one login attempt can cause


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 1024 * 1024, dklen=HASH_BYTES
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` to store instead of it: ``scrypt$n$r$p$salt_b64$hash_b64``."""
    if not isinstance(password, str) or not password:
        raise ValueError("A password must be a non-empty string.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValueError(f"A password is at most {MAX_PASSWORD_CHARS} characters.")
    salt = secrets.token_bytes(SALT_BYTES)
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(_scrypt(password, salt, N, R, P))}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password`; False for anything malformed."""
    if not isinstance(password, str) or not password or len(password) > MAX_PASSWORD_CHARS or not stored:
        return False
    try:
        scheme, n, r, p, salt_b64, hash_b64 = stored.split("$")
        if scheme != SCHEME:
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(hash_b64, validate=True)
        # refuse absurd parameters from a tampered row instead of allocating gigabytes
        n_i, r_i, p_i = int(n), int(r), int(p)
        if not (2 <= n_i <= 2**20 and 1 <= r_i <= 32 and 1 <= p_i <= 16) or not expected:
            return False
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=n_i,
            r=r_i,
            p=p_i,
            maxmem=256 * n_i * r_i + 1024 * 1024,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def dummy_verify(password: str) -> None:
    """Spend the time of one verification, so a login for an unknown name takes as long as a wrong password."""
    _scrypt(password if isinstance(password, str) else "", b"\0" * SALT_BYTES, N, R, P)
