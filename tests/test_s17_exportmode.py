"""An export's temporary file is readable by its owner only until it is complete (review17 finding 4): the
``.part`` file had been made 0644 even when it replaced a 0600 file. The finished file keeps the replaced
file's permissions, or the umask's for a new one."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from interchange import exporters

ROWS = [{"comparison_id": 1, "instruction": "q"}]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_part_file_is_private_while_it_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    write = exporters._write_path

    def spy(rows: Any, path: Path, fmt: str, columns: Any) -> int:
        seen.append(_mode(path))
        return write(rows, path, fmt, columns)

    monkeypatch.setattr(exporters, "_write_path", spy)
    target = tmp_path / "labels.csv"
    exporters.write_file(ROWS, target, "csv")
    assert seen == [0o600]
    umask = os.umask(0o022)
    os.umask(umask)
    assert _mode(target) == 0o666 & ~umask  # a new file: the usual permissions once complete
    target.chmod(0o640)
    exporters.write_file(ROWS, target, "csv")
    assert seen[-1] == 0o600 and _mode(target) == 0o640  # a replaced file keeps its own
    assert [p.name for p in tmp_path.iterdir()] == ["labels.csv"]
