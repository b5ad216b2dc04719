"""The checkup's suite names and default data folder, in a module that imports nothing of ours.

Why a module of its own: ``orchestration.checkup_suites`` holds each suite's importer and scoring (the store,
pandas, the importers), and ``judge-studio checkup --help`` read its suite names from there, so the help loaded
SQLAlchemy and pandas (s17 cardpolish). ``checkup_suites.SUITES`` holds these names in this order
(``tests/test_s17_lightcli.py`` checks it).
"""

from __future__ import annotations

from pathlib import Path

#: The suites ``checkup --suite`` takes; the first is the default.
SUITE_NAMES = ("evalbiasbench", "hhh")
#: Where the suites' files are looked for when no folder is given (relative to the current directory).
DEFAULT_DATA_DIR = Path("..") / "shared" / "data"
