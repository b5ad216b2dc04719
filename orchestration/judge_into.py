"""Storing a judge's verdicts into its run: the run a call claimed, found again when another process deleted it,
and the verdicts the empty-response rule gives without the judge (``analysis.empty_responses``).

Why a run can vanish: a `judge` command whose judge fails before its first verdict deletes the run it created
(``Store.drop_run_of_errors``). Within one process ``JudgeActivity`` keeps a run that another call uses; a second
process (another `judge`, the server) cannot be seen from here. The store deletes only a run that still holds no
verdict but refusals (one ``DELETE ... WHERE NOT EXISTS`` per table, one transaction), so a verdict stored in the
meantime keeps the run; a process that found the run before it was deleted and stores afterwards gets
``JudgeRunGone`` and stores into the run found again by its fingerprint (with what it had stored before its
first verdict: its refusals and rule verdicts) instead of failing on the foreign key (s14 known gap).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, Protocol

from analysis.empty_responses import checked_rule, is_empty, left_out_note, rule_reason
from annotation_store import ComparisonView, NewVerdict, Store
from annotation_store.verdicts import RULE_OUTPUT, JudgeRunGone
from errors import InvalidInput, joined
from judge_runtime import Judge, JudgeInputError

_log = logging.getLogger("judge_studio.judge")


class RunClaims(Protocol):
    """``orchestration.service.JudgeActivity``'s run counting (a Protocol: no import cycle)."""

    def claim_run(self, ensure: Callable[[], int]) -> int: ...

    def release_run(self, run_id: int) -> None: ...


class RunInto:
    """The judge run one call stores into, claimed in ``claims`` until ``release``. ``save(..., early=True)``:
    a verdict stored before the model ran (a refusal, a rule verdict), stored again if the run must be found
    again."""

    def __init__(self, store: Store, claims: RunClaims, judge: Judge) -> None:
        self.store, self.claims = store, claims
        self._ensure = partial(store.ensure_judge_run, judge.fingerprint_key, judge.fingerprint)
        self.run_id = claims.claim_run(self._ensure)
        self._early: list[NewVerdict] = []

    def save(self, new: NewVerdict, *, early: bool = False) -> None:
        if early:
            self._early.append(new)
        try:
            self.store.save_verdict(self.run_id, new)
        except JudgeRunGone:
            self._found_again()
            self.store.save_verdict(self.run_id, new)

    def _found_again(self) -> None:
        """The run was deleted by another process: claim the run of this fingerprint again (created anew, or the
        one a third process made meanwhile) and store the early verdicts into it."""
        gone = self.run_id
        self.run_id = self.claims.claim_run(self._ensure)
        self.claims.release_run(gone)
        _log.warning("Judge run %s was deleted by another process; storing into run %s.", gone, self.run_id)
        for new in self._early:
            self.store.save_verdict(self.run_id, new)

    def release(self) -> None:
        self.claims.release_run(self.run_id)


def empty_rule(value: str) -> str:
    """The ``empty_response`` setting's rule, or InvalidInput naming the values."""
    try:
        return checked_rule(value)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def rule_new_verdict(comparison_id: int, verdict: str) -> NewVerdict:
    """The verdict the empty-response rule gives, stored with its reason and the marker the figures count."""
    return NewVerdict(
        comparison_id=comparison_id, verdict=verdict, status="ok", reason=rule_reason(verdict), raw_output=RULE_OUTPUT
    )


def has_empty_response(comparison: ComparisonView) -> bool:
    return is_empty(comparison.response1) or is_empty(comparison.response2)


def noting_the_rule(steps: Iterator[Any], comparison: ComparisonView) -> Iterator[Any]:
    """A streamed judgment whose refusal of an empty response says the rule that left it out (the Case study)."""
    try:
        yield from steps
    except JudgeInputError as exc:
        if not has_empty_response(comparison):
            raise
        raise JudgeInputError(joined(str(exc), left_out_note())) from exc
