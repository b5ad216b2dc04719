"""One chromium for a run of consecutive browser tests: each page gets a fresh browser context (its own
cookies, local storage and cache, as a fresh browser has), but Playwright's driver and chromium start once
instead of once a test (~1-2 s of CPU each on the 2-core CI machine).

While Playwright's sync API is started, the main thread's asyncio loop counts as running, so conftest's
autouse fixture ``_chromium_only_between_browser_tests`` stops the shared chromium before any test that is
not marked ``browser``, any test of a module that starts Playwright itself (``sync_playwright``: a second
sync Playwright refuses to start inside the first one's loop), and at the end of the session.
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_shared: dict[str, Any] = {"playwright": None, "browser": None}
_own_playwright: dict[str, bool] = {}


def shared_chromium() -> Any:
    """The running shared chromium (a Playwright ``Browser``), started if there is none."""
    browser = _shared["browser"]
    if browser is not None and browser.is_connected():
        return browser
    stop_shared_chromium()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    _shared["playwright"] = playwright
    try:
        _shared["browser"] = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except BaseException:
        stop_shared_chromium()
        raise
    return _shared["browser"]


def stop_shared_chromium() -> None:
    """Close the shared chromium and stop Playwright (nothing when neither runs)."""
    browser, playwright = _shared["browser"], _shared["playwright"]
    _shared.update(browser=None, playwright=None)
    try:
        if browser is not None and browser.is_connected():
            browser.close()
    finally:
        if playwright is not None:
            playwright.stop()


@contextmanager
def fresh_context(**options: Any) -> Iterator[Any]:
    """A new browser context of the shared chromium (``options`` as ``Browser.new_context`` takes them),
    closed after."""
    context = shared_chromium().new_context(**options)
    try:
        yield context
    finally:
        context.close()


def starts_its_own_playwright(module: ModuleType | None) -> bool:
    """Whether ``module``'s source calls ``sync_playwright`` itself."""
    if module is None:
        return False
    name = module.__name__
    if name not in _own_playwright:
        try:
            _own_playwright[name] = "sync_playwright" in inspect.getsource(module)
        except (OSError, TypeError):
            _own_playwright[name] = True
    return _own_playwright[name]
