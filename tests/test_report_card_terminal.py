"""``judge-studio report`` in a terminal prints the card without Markdown's escapes (researcher's pass,
session 7: ``pandalm\\-testset\\-v1``, ``\\(released outputs\\)``); a file or a pipe keeps the escaped
Markdown, which is rendered later and must stay safe.

The terminal is a real pseudo-terminal (``pty``), so the command's own ``isatty`` check decides.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from cli import parse_args, settings_from
from cli.data import report_command

ROOT = Path(__file__).resolve().parent.parent
DATASET = "my_pairs-v1*"
JUDGE = "judge\x1b[31m (red)"  # a name from a file may carry a terminal escape sequence
CSV = "question,a,b,label,verdict\n" + "".join(f"Question {i}?,answer a{i},answer b{i},1,1\n" for i in range(3))
MAP = ["instruction=question", "response1=a", "response2=b", "label=label", "verdict=verdict"]
PLAIN_TITLE = f"Judge report card: {DATASET}\n" + "=" * len(f"Judge report card: {DATASET}")  # underlined
ESCAPED_TITLE = "# Judge report card: my\\_pairs\\-v1\\*"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("card-home")
    (path / "pairs.csv").write_text(CSV, encoding="utf-8")
    maps = [arg for pair in MAP for arg in ("--map", pair)]
    imported = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "import",
            str(path / "pairs.csv"),
            "--format",
            "csv",
            *maps,
            "--model1",
            "m1",
            "--model2",
            "m2",
            "--judge",
            JUDGE,
            "--dataset",
            DATASET,
        ],  # fmt: skip
        env={**os.environ, "JUDGE_STUDIO_HOME": str(path)},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert imported.returncode == 0, imported.stderr
    return path


def _in_terminal(home: Path, *args: str) -> str:
    """What ``judge-studio ARGS`` prints with its standard output on a terminal."""
    master, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        stdout=terminal,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "JUDGE_STUDIO_HOME": str(home)},
        cwd=ROOT,
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the command closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=300) == 0
    os.close(master)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_a_terminal_gets_the_card_without_escapes(home: Path) -> None:
    shown = _in_terminal(home, "report", "--dataset", DATASET)
    assert PLAIN_TITLE in shown and "\nRun 1: judge[31m (red) (profile imported)\n---" in shown
    assert "\\" not in shown  # no Markdown escape anywhere
    assert "\x1b" not in shown  # the name's escape sequence cannot recolour the terminal
    assert "accuracy 1.000 [0.439, 1.000] (95% CI; Wilson interval" in shown


def _report(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    monkeypatch.setenv("JUDGE_STUDIO_HOME", str(home))
    parsed = parse_args(["report", "--dataset", DATASET, *args])
    report_command(settings_from(parsed), parsed)
    return capsys.readouterr().out


def test_files_and_pipes_keep_the_escaped_markdown(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    piped = _report(home, monkeypatch, capsys)  # standard output is not a terminal here: `report > card.md`
    assert ESCAPED_TITLE in piped and "## Run 1: judge\x1b\\[31m \\(red\\) (profile imported)" in piped
    _report(home, monkeypatch, capsys, "-o", str(tmp_path / "card.md"))
    assert ESCAPED_TITLE in (tmp_path / "card.md").read_text(encoding="utf-8")
    _report(home, monkeypatch, capsys, "-o", str(tmp_path / "card.txt"))
    text = (tmp_path / "card.txt").read_text(encoding="utf-8")
    assert PLAIN_TITLE in text and "\\" not in text and "\x1b" not in text
    assert "\n|" not in text and "|---" not in text and "\n#" not in text  # tables in columns, headings underlined
    asked = _report(home, monkeypatch, capsys, "--format", "text")
    assert PLAIN_TITLE in asked and "\\" not in asked
