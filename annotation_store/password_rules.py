"""The one rule a new password must pass, on every path that sets one (invite page, Admin page, the
``users`` commands, the first admin): at least ``MIN_PASSWORD`` characters, not only spaces, not one
character repeated, not the account's own name, and none of the commonest passwords.

A small fixed list, not a breach corpus: it stops the passwords a spraying attacker tries first; the
login throttle (``orchestration.access.LoginThrottle``) does the rest.
"""

from __future__ import annotations

from annotation_store.errors import StoreError

MIN_PASSWORD = 8

#: The commonest passwords of 8 characters or more (lower-cased; compared case-insensitively).
COMMON_PASSWORDS = frozenset(
    {
        "12345678",
        "123456789",
        "1234567890",
        "87654321",
        "11223344",
        "12341234",
        "password",
        "password1",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "qwertyui",
        "qwertyuiop",
        "qwerty123",
        "1q2w3e4r",
        "1qaz2wsx",
        "asdfghjk",
        "zxcvbnm1",
        "abcd1234",
        "abcdefgh",
        "iloveyou",
        "sunshine",
        "football",
        "baseball",
        "princess",
        "welcome1",
        "letmein1",
        "changeme",
        "admin123",
        "administrator",
        "trustno1",
        "superman",
        "whatever",
        "starwars",
        "dragon12",
        "monkey12",
        "computer",
        "internet",
        "judgestudio",
        "judge-studio",
    }
)


def password_problem(password: str, name: str = "") -> str | None:
    """What is wrong with ``password`` as a new password for the account ``name`` (one sentence without
    the password itself), or None when it may be used."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return f"Choose a password of at least {MIN_PASSWORD} characters"
    if not password.strip():
        return "A password of only spaces is too easy to guess; choose another"
    if len(set(password)) == 1:
        return "A password of one character repeated is too easy to guess; choose another"
    folded = password.strip().casefold()
    if name and folded == name.strip().casefold():
        return "A password may not be the account's own name; choose another"
    if folded in COMMON_PASSWORDS:
        return "That password is one of the commonest ones, which attackers try first; choose another"
    return None


def refuse_weak_password(password: str, name: str = "") -> None:
    """Raise ``StoreError`` saying what is wrong with a new password (see ``password_problem``)."""
    problem = password_problem(password, name)
    if problem is not None:
        raise StoreError(f"{problem}; nothing was saved.")
