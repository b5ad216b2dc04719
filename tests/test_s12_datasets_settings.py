"""Bad settings stop with one line naming the setting before anything is created (s12 badinput finding 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import main


@pytest.mark.parametrize(
    ("argv", "env", "said"),
    [
        (["serve", "--port", "99999"], {}, "--port must be from 1 to 65535, got 99999."),
        (["serve", "--port", "0"], {}, "--port must be from 1 to 65535, got 0."),
        (["serve"], {"JUDGE_STUDIO_PORT": "-1"}, "JUDGE_STUDIO_PORT='-1' must be from 1 to 65535, got -1."),
        (["serve", "--max-upload-mb", "0"], {}, "--max-upload-mb must be at least 1, got 0."),
        (["serve", "--max-upload-mb", "-5"], {}, "--max-upload-mb must be at least 1, got -5."),
        (["datasets", "list", "--database-url", "nonsense://x"], {}, "The database URL 'nonsense://x' (--database-url"),
    ],
)
def test_a_bad_setting_is_one_line_and_creates_nothing(
    argv: list[str], env: dict[str, str], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "home"
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--home", str(home)])
    assert isinstance(stopped.value.code, str) and said in stopped.value.code
    assert not home.exists()


def test_a_home_that_cannot_be_made_is_one_line_naming_the_setting() -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["datasets", "list", "--home", "/proc/nope"])
    assert isinstance(stopped.value.code, str)
    assert "(--home, JUDGE_STUDIO_HOME) cannot be created" in stopped.value.code
