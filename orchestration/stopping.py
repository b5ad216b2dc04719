"""Stopping a streamed judgment (the Case study's Stop buttons): one switch per run, kept per page and form.

A run ends in one of two ways, decided under the switch's lock so that the page can say which happened:
either it finishes (its verdict is stored, for a stored comparison, and kept on the switch) or it is
stopped first (the stream ends at its next token and stores nothing). No Gradio here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from annotation_store import VerdictView

#: How many pages' (browser tabs') last runs are remembered; an older one's Stop just ends nothing.
REMEMBERED_RUNS = 512
#: How long a Stop waits for the run to end (it ends at its next token; a token takes well under a second).
STOP_WAIT_S = 10.0


class RunSwitch:
    """One streamed judgment: stopped, or finished with its verdict; never both."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopped = False
        self._result: VerdictView | None = None
        self.taken = False  # a run started with it (``StopSwitches.take``)
        self.ended = threading.Event()  # its stream has ended (finished, stopped, or closed by the page)

    @property
    def stopped(self) -> bool:
        return self._stopped

    def finish(self, make: Callable[[], VerdictView]) -> VerdictView | None:
        """The run's last step: ``make()`` (which stores the verdict where there is one to store) and keep its
        result; None, calling nothing, when the run was stopped first."""
        with self._lock:
            if self._stopped:
                return None
            self._result = make()
            return self._result

    def stop(self) -> VerdictView | None:
        """Stop the run; None when it stopped here (nothing stored), else the verdict it finished with."""
        with self._lock:
            if self._result is None:
                self._stopped = True
            return self._result


class StopSwitches:
    """The latest run's switch per key (a page and its form), for a Stop that comes from another request."""

    def __init__(self, remembered: int = REMEMBERED_RUNS) -> None:
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, RunSwitch] = OrderedDict()
        self._remembered = remembered

    def arm(self, key: str) -> RunSwitch:
        """A new run's switch, made when its button is pressed (before the run leaves the queue), so that a Stop
        pressed meanwhile stops it; a run of ``key`` still going is stopped (it is replaced)."""
        switch = RunSwitch()
        with self._lock:
            old = self._runs.pop(key, None)
            self._runs[key] = switch
            while len(self._runs) > self._remembered:
                self._runs.popitem(last=False)
        if old is not None:
            old.stop()
        return switch

    def take(self, key: str | None) -> RunSwitch:
        """The switch of a run that starts now: the one ``arm`` made for ``key`` if no run took it yet, else a
        new one (an API call, which presses no button); ``key`` None: a switch nobody else can reach."""
        if key is None:
            return RunSwitch()
        with self._lock:
            switch = self._runs.get(key)
            if switch is not None and not switch.taken:
                switch.taken = True
                return switch
        switch = self.arm(key)
        switch.taken = True
        return switch

    def stop(self, key: str | None, wait: float = STOP_WAIT_S) -> tuple[bool, VerdictView | None]:
        """Stop the latest run of ``key``: (whether there was a run, the verdict it had finished with). A run under
        way is waited for (at most ``wait`` seconds: it ends at its next token), so that once this returns it sends
        nothing more: a page saying "Stopped" is not overwritten by a step already on its way."""
        with self._lock:
            switch = self._runs.get(key) if key is not None else None
        if switch is None:
            return False, None
        finished = switch.stop()
        if switch.taken:
            switch.ended.wait(wait)
        return True, finished
