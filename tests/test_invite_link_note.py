"""``judge-studio users invite`` cannot see which port a running server listens on: the link's address
comes from ``--base-url``, else ``public_url``, else this machine's host and port setting. When it is
the last, the command says so on stderr (the link alone stays on stdout, for scripts)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cli import main


def _invite(capsys: pytest.CaptureFixture[str], home: Path, *argv: str) -> tuple[str, str]:
    main(["users", "invite", "--home", str(home), *argv])
    captured = capsys.readouterr()
    return captured.out.strip(), captured.err


def test_a_link_from_the_port_setting_says_which_setting_made_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUDGE_STUDIO_PUBLIC_URL", raising=False)
    link, note = _invite(capsys, tmp_path, "--port", "7931")
    assert re.fullmatch(r"http://127\.0\.0\.1:7931/invite/[A-Za-z0-9_-]{40,}", link), link
    assert "port 7931: --port or JUDGE_STUDIO_PORT" in note
    assert "give --base-url or set JUDGE_STUDIO_PUBLIC_URL" in note


def test_a_link_from_base_url_or_public_url_needs_no_note(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link, note = _invite(capsys, tmp_path, "--base-url", "https://judge.example.org/")
    assert link.startswith("https://judge.example.org/invite/") and "--base-url" not in note
    monkeypatch.setenv("JUDGE_STUDIO_PUBLIC_URL", "https://judge.example.org")
    link, note = _invite(capsys, tmp_path)
    assert link.startswith("https://judge.example.org/invite/") and "JUDGE_STUDIO_PORT" not in note
