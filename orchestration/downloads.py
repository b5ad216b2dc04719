"""Where the pages write the files they hand out (the Admin page's export, the activity CSV with per-person counts):
one private folder per server process, each download in a fresh folder of its own inside it (two admins asking at
once never share a file), and each new download removes the ones older than ``KEEP_SECONDS`` (review18 11: a new
``mkdtemp`` folder per click was never removed). The folder goes when the process ends. Gradio serves a copy of
each file from its own cache, which ``ui.layout`` has Gradio clear on the same schedule (``delete_cache``).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
import time
from pathlib import Path

#: How long a download (and Gradio's copy of it or of an upload) stays on disk: a working day, so a link clicked
#: or an upload imported hours later still works (review18c 6: an hour made a late click a bare 404).
KEEP_SECONDS = 8 * 3600

_lock = threading.Lock()
_folder: list[Path] = []  # this process's folder, made on the first download


def downloads_folder() -> Path:
    """This process's download folder (0700, made on first use, removed at exit)."""
    with _lock:
        if not _folder or not _folder[0].is_dir():
            made = Path(tempfile.mkdtemp(prefix="judge-studio-downloads-"))
            atexit.register(shutil.rmtree, made, ignore_errors=True)
            _folder[:] = [made]
        return _folder[0]


def prune(folder: Path, keep_seconds: float = KEEP_SECONDS, now: float | None = None) -> list[Path]:
    """Remove the downloads in ``folder`` older than ``keep_seconds``; returns those removed."""
    cutoff = (time.time() if now is None else now) - keep_seconds
    gone = []
    for entry in folder.iterdir():
        try:
            if entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                gone.append(entry)
        except FileNotFoundError:  # another download pruned it first
            continue
    return gone


def download_path(file_name: str) -> Path:
    """A path for a new download called ``file_name``, in a fresh folder of its own, after pruning old ones."""
    folder = downloads_folder()
    prune(folder)
    return Path(tempfile.mkdtemp(dir=folder)) / file_name
