"""Files that arrive from a browser: only what was uploaded to this app may be read.

Why this exists: Gradio checks that a ``FileData`` path sent by a browser lies in its upload folder
only for an app started with ``launch()``; an app mounted on FastAPI (ours) skips that check, so a
request naming ``/etc/passwd.json`` would have the import read it. The web layer refuses such
requests before any handler runs (``web.uploads``); handlers that open an uploaded file call
``checked_upload`` as well, so the rule holds even if a request reaches them some other way.
"""

from __future__ import annotations

from pathlib import Path

from errors import Forbidden, InvalidInput


class NotAnUpload(Forbidden):
    """A file path that does not lie in the app's upload folder."""


def is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` (after resolving ``..`` and symbolic links) lies inside ``folder``."""
    try:
        path.resolve(strict=False).relative_to(folder.resolve(strict=False))
    except ValueError:
        return False
    return True


def checked_upload(path: str | Path | None, upload_dir: str | Path) -> Path:
    """The uploaded file at ``path``, resolved, if it lies in ``upload_dir`` and is a readable file.

    Raises ``InvalidInput`` when no file was given or it is gone, ``NotAnUpload`` (a ``Forbidden``)
    when the path points anywhere else: the message names the file's name only, never its content."""
    if path is None or not str(path).strip():
        raise InvalidInput("Choose a file to upload first.")
    candidate = Path(path)
    if not is_inside(candidate, Path(upload_dir)):
        raise NotAnUpload(
            f"The file {candidate.name!r} was not uploaded to this app; upload it with the file picker. "
            "Nothing was read."
        )
    resolved = candidate.resolve()
    if not resolved.is_file():
        raise InvalidInput(f"The uploaded file {candidate.name!r} is gone; upload it again.")
    return resolved
