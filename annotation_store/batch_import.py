"""Writing one import (a dataset, its labels, judge runs) in a single write transaction.

``Store.import_batch`` opens the transaction; ``BatchWriter`` fills it from an ``ImportBatch`` that the
format readers in ``importers.py`` build. Kept apart from ``store.py`` so the store reads as the app's
day-to-day API and this module as the bulk path.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotation_store.errors import StoreError
from annotation_store.models import (
    ANNOTATOR_KINDS,
    MAX_ANNOTATOR_NAME,
    PARSE_STATUSES,
    VERDICT_VALUES,
    Annotator,
    CandidateModel,
    Comparison,
    Dataset,
    JudgeRun,
    JudgeVerdict,
    Label,
    LabelEvent,
    Prompt,
    Response,
)


def get_or_create_model(session: Session, name: str) -> CandidateModel:
    model = session.scalar(select(CandidateModel).where(CandidateModel.name == name))
    if model is None:
        model = CandidateModel(name=name)
        session.add(model)
    return model


DATASET_MODES = ("new", "existing", "any")


@dataclass(frozen=True)
class ImportPrompt:
    key: str
    instruction: str
    input: str = ""
    category: str = ""
    reference: str | None = None
    where: str = ""


@dataclass(frozen=True)
class ImportReference:
    """A reference answer for a prompt that is already stored (MT-Bench reference answers)."""

    prompt_key: str
    reference: str
    where: str = ""


@dataclass(frozen=True)
class ImportResponse:
    prompt_key: str
    model: str
    text: str
    where: str = ""


@dataclass(frozen=True)
class ImportComparison:
    """Response of ``model1`` (shown first) vs response of ``model2`` to one prompt."""

    prompt_key: str
    model1: str
    model2: str
    where: str = ""


@dataclass(frozen=True)
class ImportLabel:
    prompt_key: str
    model1: str
    model2: str
    annotator: str
    verdict: str
    where: str = ""


@dataclass(frozen=True)
class ImportVerdict:
    """A judge verdict in canonical order; ``swapped``: the judge saw response 2 first."""

    prompt_key: str
    model1: str
    model2: str
    verdict: str | None
    status: str
    swapped: bool = False
    reason: str = ""
    reference: str = ""
    raw_output: str = ""
    latency_s: float = 0.0
    where: str = ""
    # verdict-word probabilities (canonical order) where the file gives them (a wide export's ``:p_1`` columns)
    p_1: float | None = None
    p_2: float | None = None
    p_tie: float | None = None


@dataclass(frozen=True)
class ImportJudgeRun:
    fingerprint_key: str
    fingerprint: dict[str, Any]
    verdicts: tuple[ImportVerdict, ...]


@dataclass(frozen=True)
class ImportBatch:
    """Everything one imported file adds to one dataset.

    ``dataset_mode``: "new" refuses a dataset that exists (the file was already imported), "existing"
    needs it (judge outputs for items imported before), "any" creates it when missing.
    """

    dataset: str
    source: str  # the file name, for messages
    dataset_mode: str = "new"
    description: str = ""
    missing_hint: str = ""  # appended to the "no such dataset" message
    prompts: tuple[ImportPrompt, ...] = ()
    references: tuple[ImportReference, ...] = ()
    responses: tuple[ImportResponse, ...] = ()
    comparisons: tuple[ImportComparison, ...] = ()
    labels: tuple[ImportLabel, ...] = ()
    judge_runs: tuple[ImportJudgeRun, ...] = ()
    # (annotator, kind) the file gives its annotators (a wide export's ``annotator_kinds``): the kind of the
    # accounts this import creates (an existing account keeps its own); others become "crowd"
    annotator_kinds: tuple[tuple[str, str], ...] = ()


#: ``on_progress(done, total)`` of an import: rows written so far of the batch's rows (prompts, reference
#: answers, responses, comparisons, labels, verdicts; a row already there counts as it is checked).
ImportProgress = Callable[[int, int], None]

#: The progress callback of the imports run inside ``import_progress`` (the readers in interchange build the
#: batch and call ``Store.import_batch`` themselves: a context, not a parameter threaded through each of them).
_ON_PROGRESS: ContextVar[ImportProgress | None] = ContextVar("import_progress", default=None)

#: Rows between two progress reports (each one a flush of the rows added since, in the same transaction).
PROGRESS_EVERY = 2000

#: The fewest verdicts for which two runs with the very same verdicts are flagged (below, a coincidence).
SAME_RUN_MIN = 10


@contextmanager
def import_progress(on_progress: ImportProgress | None) -> Iterator[None]:
    """Report the progress of every ``Store.import_batch`` inside the block to ``on_progress`` (None: none).
    The reports come from inside the write transaction; an import refused later still writes nothing."""
    token = _ON_PROGRESS.set(on_progress)
    try:
        yield
    finally:
        _ON_PROGRESS.reset(token)


def current_import_progress() -> ImportProgress | None:
    """The callback of the enclosing ``import_progress`` block (None outside one)."""
    return _ON_PROGRESS.get()


def rows_progress(session: Session, total: int) -> Callable[[int], None]:
    """``tick(done)`` for a bulk write other than ``BatchWriter``'s (the gold imports, ``Store.set_gold_many`` and
    ``set_gold_ratings_many``): inside an ``import_progress`` block it reports 0 of ``total`` now, then, every
    ``PROGRESS_EVERY`` rows and at the last one, flushes the rows added since (still in the one transaction) and
    reports them; outside one it does nothing."""
    on_progress = current_import_progress()
    if on_progress is None:
        return lambda done: None
    on_progress(0, total)

    def tick(done: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            session.flush()
            on_progress(done, total)

    return tick


@dataclass(frozen=True)
class ImportedRun:
    run_id: int
    model: str
    verdicts: int
    unparsed: int
    comparisons: int  # distinct comparisons among the verdicts (fewer when some are judged in both orders)
    same_as: str = ""  # "'NAME' (run N)": an earlier run on the dataset with exactly these verdicts ('' when none)
    # verdicts the run held on this dataset before (> 0: these were added to an existing run, e.g. a session
    # extended with more pairs of the same judge)
    before: int = 0
    # why the verdicts are not in the earlier run of the same judge on this dataset ('' when they are or none):
    # "Not added to run N of the same judge, which already has verdicts on K of these ..."
    not_added: str = ""
    # verdicts of the file the run already held, identical, so not written again (s17 review finding 6: the whole
    # file again plus new pairs extends the run instead of making a second run of the same judge)
    already: int = 0

    @property
    def warning(self) -> str:
        """What an import says (not refuses): this run repeats an earlier one under another name, or it is the
        same judge as an earlier run on the dataset, kept apart because that run already judged some of it."""
        said = []
        if self.not_added:
            said.append(f"{self.not_added}: stored as run {self.run_id}, which the figures show apart.")
        if self.same_as:
            said.append(
                f"These verdicts are identical to judge run {self.same_as} on this dataset: imported twice under two "
                "names?"
            )
        return " ".join(said)

    def describe(self) -> str:
        """The line of one run, e.g. "400 verdicts of GPT-4 (run 3: 200 comparisons, each in both orders,
        0 unparsed)": the import counts verdicts, ``metrics`` one verdict per comparison; naming both
        lets a reader see the two figures as one run. Verdicts added to a run the dataset had: "20 verdicts of
        GPT-4 added to run 1 (now 60 verdicts; 0 of the new unparsed)"."""
        orders = ""
        if self.comparisons != self.verdicts:
            twice = self.verdicts - self.comparisons  # each comparison has at most one verdict per order
            both = "each" if twice == self.comparisons else f"{twice} of them"
            orders = f"{self.comparisons} comparison{'' if self.comparisons == 1 else 's'}, {both} in both orders"
        verdicts = f"{self.verdicts} verdict{'' if self.verdicts == 1 else 's'}"
        if self.already:
            parts: tuple[str, ...] = (
                f"{self.already} already there, identical",
                orders,
                f"now {self.before + self.verdicts} verdicts",
                f"{self.unparsed} of the new unparsed",
            )
            new = f"{self.verdicts} new verdict{'' if self.verdicts == 1 else 's'}"
            return f"added {new} of {self.model} to run {self.run_id} ({'; '.join(p for p in parts if p)})"
        if self.before:
            parts = (orders, f"now {self.before + self.verdicts} verdicts", f"{self.unparsed} of the new unparsed")
            return f"{verdicts} of {self.model} added to run {self.run_id} ({'; '.join(p for p in parts if p)})"
        return (
            f"{verdicts} of {self.model} (run {self.run_id}{f': {orders}' if orders else ''}, {self.unparsed} unparsed)"
        )


@dataclass(frozen=True)
class ImportSummary:
    """What an import added; rows that were already there and identical are not counted."""

    dataset: str
    source: str
    dataset_created: bool
    prompts: int
    prompts_updated: int
    responses: int
    comparisons: int
    labels: int
    annotators: int
    runs: tuple[ImportedRun, ...]
    annotators_created: int = 0  # of ``annotators``, the accounts this import created (kind "crowd", the default)
    annotators_kinded: int = 0  # accounts this import created with the kind the file gives them (not crowd)
    # reference answers an explicit reference import (``ImportBatch.references``) set where none was / changed:
    # said as references, not as "prompts updated" (s15 benchmarker, finding 3)
    references_added: int = 0
    references_replaced: int = 0

    def describe(self) -> str:
        # the plural inline: this layer may not import analysis.report_text.counted
        counts = [
            (self.prompts, "new prompt{s}"),
            (self.prompts_updated, "prompt{s} updated"),
            (self.references_replaced, "reference answer{s} replaced"),
            (self.references_added, "reference answer{s} added"),
            (self.responses, "response{s}"),
            (self.comparisons, "comparison{s}"),
            (self.labels, f"label{{s}} from {self.annotators} annotator{'' if self.annotators == 1 else 's'}"),
        ]
        parts = [f"{n} {what.format(s='' if n == 1 else 's')}" for n, what in counts if n]
        parts += [run.describe() for run in self.runs]
        if self.nothing_new:  # the same file again: not "Imported ..." when nothing was (the CLI and Admin page)
            return f"{self.source} was already imported into dataset {self.dataset!r}: nothing new (already there)."
        created = "new dataset" if self.dataset_created else "dataset"
        return " ".join(
            (
                f"Imported {self.source} into {created} {self.dataset!r}: {', '.join(parts)}.",
                *self._kind_note(),
                *self.warnings,
            )
        )

    def _kind_note(self) -> tuple[str, ...]:
        """New annotators become "crowd", which picks the alternative-annotator test's margin (crowd's is the
        strictest): said, with the command that changes it (it was silent: s13 researcher, finding 7)."""
        n, kinded = self.annotators_created, self.annotators_kinded
        given = (
            (f"{kinded} annotator{' was' if kinded == 1 else 's were'} imported with the kind the file gives.",)
            if kinded
            else ()
        )
        if not n:
            return given
        return (
            f"{n} annotator{' was' if n == 1 else 's were'} imported as crowd, which sets the alternative-annotator "
            "test's margin (change with `judge-studio users set NAME --kind expert|skilled`, or on the Admin page).",
            *given,
        )

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the import noticed but did not refuse (a judge run identical to an earlier one), each a sentence
        starting "Warning:"; ``describe`` ends with them, so the command line and the Admin page show them."""
        several = len(self.runs) > 1
        return tuple(
            f"Warning: {f'{run.model} (run {run.run_id}): ' if several else ''}{run.warning}"
            for run in self.runs
            if run.warning
        )

    @property
    def nothing_new(self) -> bool:
        """Whether the import added nothing: everything in the file was already there (imported before)."""
        counts = (
            *(self.prompts, self.prompts_updated, self.responses, self.comparisons, self.labels),
            *(self.references_added, self.references_replaced),
        )
        return not self.dataset_created and not any(counts) and not self.runs


def _import_text(value: Any, what: str, limit: int, where: str, *, one_line: bool = True) -> str:
    """A non-empty name or key that fits its column (PostgreSQL enforces the lengths, SQLite does not)."""
    if not isinstance(value, str) or not value.strip():
        raise StoreError(f"{where}: {what} must be a non-empty string, got {value!r}.")
    if len(value) > limit:
        raise StoreError(f"{where}: {what} is longer than {limit} characters: {value[:40]!r}…")
    bad = next((ch for ch in value if unicodedata.category(ch) == "Cc" or ch in _DIRECTION_CONTROLS), None)
    bad = bad if one_line else None  # a judge model's name is a fingerprint field, shown only through the markers
    if bad is not None:
        raise StoreError(
            f"{where}: {what} {value[:60]!r} holds a control character (U+{ord(bad):04X}: a line break, tab or "
            "text-direction control); names are one line of plain text. Nothing was imported."
        )
    return value


# Controls that reorder text (an override shows "evil" as "live"); right-to-left marks (U+200E/F) are kept.
_DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


#: The fingerprint field of an imported run that names the file its verdicts came from (``interchange.importers``
#: ``run_fingerprint``): where the verdicts were read, not who gave them.
SOURCE_FIELD = "source"
#: Fields of an imported run's fingerprint that say where and how its verdicts were read (the file, its layout:
#: "imported (AlpacaEval file layout)", or "alpaca_eval" in runs imported before session 16), not which judge.
READ_FROM_FIELDS = (SOURCE_FIELD, "profile", "sources")
#: The fingerprint field of an imported run extended by later files (an import that added verdicts to the run of the
#: same judge, or a merge): every file its verdicts came from, the first (``SOURCE_FIELD``) first. Absent while the
#: run holds one file's verdicts (s17 "left undone": an extended run named only its first file).
SOURCES_FIELD = "sources"


def run_sources(fingerprint: dict[str, Any] | None) -> tuple[str, ...]:
    """The files an imported run's verdicts came from, in the order they were imported (() for a live judge's run)."""
    found = dict(fingerprint or {})
    listed = found.get(SOURCES_FIELD)
    if isinstance(listed, list) and listed:
        return tuple(str(name) for name in listed)
    return (str(found[SOURCE_FIELD]),) if SOURCE_FIELD in found else ()


def add_sources(run: JudgeRun, sources: tuple[str, ...]) -> None:
    """Record ``sources`` among ``run``'s files (``SOURCES_FIELD``), each once; a new dict, so the JSON column is
    written. Nothing for a live judge's run or when every one is there already."""
    have = run_sources(run.fingerprint)
    new = [name for name in dict.fromkeys(sources) if name not in have]
    if have and new:
        run.fingerprint = {**dict(run.fingerprint), SOURCES_FIELD: [*have, *new]}


def _same_judge(run: JudgeRun, item: ImportJudgeRun) -> bool:
    """Whether stored ``run`` and imported ``item`` are the same judge read from two files: both imported (a
    ``SOURCE_FIELD``), fingerprints equal but for ``READ_FROM_FIELDS`` (so: the judge's name and a wide export's
    column). A live judge's run (no file in its fingerprint) is continued by ``judge`` through its own fingerprint,
    never by an import."""
    mine, theirs = dict(item.fingerprint), dict(run.fingerprint or {})
    if SOURCE_FIELD not in mine or SOURCE_FIELD not in theirs:
        return False
    for field in READ_FROM_FIELDS:
        mine.pop(field, None)
        theirs.pop(field, None)
    return mine == theirs


def _said(verdict: ImportVerdict) -> tuple[str | None, str]:
    return verdict.verdict, verdict.status


def _differ(held: dict[tuple[int, bool], tuple[str | None, str]], keyed: dict[tuple[int, bool], ImportVerdict]) -> bool:
    return any(said != _said(keyed[key]) for key, said in held.items())


class BatchWriter:
    """Writes one ImportBatch inside an open write transaction (see ``Store.import_batch``).

    Each step loads what the dataset already holds once (dicts keyed by prompt key and model name),
    so an import of thousands of records costs a few queries, not one per record.

    ``on_progress(done, total)``: the rows of the batch checked and written so far; with it, each step flushes
    every ``PROGRESS_EVERY`` rows (the flush is most of an import's time) and reports, still in the one
    transaction (default: the enclosing ``import_progress`` block's callback).
    """

    def __init__(self, session: Session, batch: ImportBatch, on_progress: ImportProgress | None = None) -> None:
        self.session = session
        self.batch = batch
        self.dataset_created = False
        self.prompts: dict[str, Prompt] = {}
        self.models: dict[str, CandidateModel] = {}
        self.responses: dict[tuple[str, str], Response] = {}
        self.comparisons: dict[tuple[str, str, str], int] = {}
        self.on_progress = on_progress if on_progress is not None else current_import_progress()
        self.total = sum(
            map(len, (batch.prompts, batch.references, batch.responses, batch.comparisons, batch.labels))
        ) + sum(len(run.verdicts) for run in batch.judge_runs)
        self.done, self.reported = 0, -1  # -1: nothing reported yet (the first report is 0 of the total)
        self.dataset_id = 0
        self.runs_written: set[int] = set()  # runs this batch writes: never "an earlier run" to one another
        self.annotators_created = 0  # imported annotators added now as crowd (ImportSummary's kind note)
        self.annotators_kinded = 0  # imported annotators added now with the file's kind (not crowd)

    def run(self) -> ImportSummary:
        dataset = self._dataset()
        self.dataset_id = dataset.id
        self._report()
        prompts, updated = self._prompts(dataset)
        references = self._references()
        responses = self._responses()
        comparisons = self._comparisons(dataset)
        labels, annotators = self._labels()
        runs = tuple(self._judge_run(run) for run in self.batch.judge_runs)
        self._report()
        return ImportSummary(
            dataset=dataset.name,
            source=self.batch.source,
            dataset_created=self.dataset_created,
            prompts=prompts,
            prompts_updated=updated,
            responses=responses,
            comparisons=comparisons,
            labels=labels,
            annotators=annotators,
            runs=runs,
            annotators_created=self.annotators_created,
            annotators_kinded=self.annotators_kinded,
            references_added=references[0],
            references_replaced=references[1],
        )

    # -------------------------------------------------------------- progress
    def _count(self, flush: Callable[[], None] | None = None) -> None:
        """One row of the batch done; every ``PROGRESS_EVERY`` rows (only with ``on_progress``) the rows added
        since are flushed (``flush``: the step's own, default the session's) and the progress reported."""
        self.done += 1
        if self.on_progress is not None and self.done - self.reported >= PROGRESS_EVERY:
            (flush or self.session.flush)()
            self._report()

    def _report(self) -> None:
        if self.on_progress is not None and self.done != self.reported:
            self.reported = self.done
            self.on_progress(self.done, self.total)

    # -------------------------------------------------------------- steps
    def _dataset(self) -> Dataset:
        batch = self.batch
        if batch.dataset_mode not in DATASET_MODES:
            raise StoreError(f"Unknown dataset mode {batch.dataset_mode!r}; use one of {', '.join(DATASET_MODES)}.")
        name = _import_text(batch.dataset, "the dataset name", 200, batch.source)
        dataset = self.session.scalar(select(Dataset).where(Dataset.name == name))
        if dataset is not None and batch.dataset_mode == "new":
            raise StoreError(
                f"{batch.source}: dataset {name!r} already imported; nothing was written "
                "(choose another dataset name to import it again)."
            )
        if dataset is None and batch.dataset_mode == "existing":
            raise StoreError(f"{batch.source}: there is no dataset {name!r}{batch.missing_hint}; nothing was written.")
        if dataset is None:
            dataset = Dataset(name=name, description=batch.description)
            self.session.add(dataset)
            self.session.flush()
            self.dataset_created = True
        existing = self.session.scalars(select(Prompt).where(Prompt.dataset_id == dataset.id))
        self.prompts = {prompt.key: prompt for prompt in existing}
        rows = self.session.execute(
            select(Prompt.key, CandidateModel, Response)
            .join(Prompt, Response.prompt_id == Prompt.id)
            .join(CandidateModel, Response.model_id == CandidateModel.id)
            .where(Prompt.dataset_id == dataset.id)
        )
        for key, model, response in rows:
            self.models[model.name] = model
            self.responses[(key, model.name)] = response
        return dataset

    def _prompts(self, dataset: Dataset) -> tuple[int, int]:
        created: set[str] = set()
        updated: set[str] = set()
        for item in self.batch.prompts:
            self._count()
            key = _import_text(item.key, "the prompt key", 200, item.where)
            if not isinstance(item.instruction, str) or not isinstance(item.input, str):
                raise StoreError(f"{item.where}: the instruction and the input must be text.")
            if not item.instruction.strip() and not item.input.strip():
                raise StoreError(f"{item.where}: the instruction and the input are both empty.")
            if len(item.category) > 100:
                raise StoreError(f"{item.where}: the category is longer than 100 characters: {item.category[:40]!r}…")
            row = self.prompts.get(key)
            if row is None:
                row = Prompt(
                    dataset_id=dataset.id,
                    key=key,
                    category=item.category,
                    instruction=item.instruction,
                    input=item.input,
                    reference=item.reference,
                )
                self.session.add(row)
                self.prompts[key] = row
                created.add(key)
                continue
            if (row.instruction, row.input) != (item.instruction, item.input):
                raise StoreError(
                    f"{item.where}: prompt {key!r} of dataset {dataset.name!r} is already stored with a different "
                    "instruction or input."
                )
            # Fill in what is missing, never overwrite: re-importing a file must not undo a later,
            # explicit import of reference answers (``references`` below do overwrite).
            if item.category and not row.category:
                row.category = item.category
                updated.add(key)
            if item.reference and not row.reference:
                row.reference = item.reference
                updated.add(key)
        self.session.flush()
        self._report()
        return len(created), len(updated - created)

    def _references(self) -> tuple[int, int]:
        """The batch's reference answers (an explicit import: they overwrite): (added where none was, replaced)."""
        added: set[str] = set()
        replaced: set[str] = set()
        for ref in self.batch.references:
            self._count()
            row = self.prompts.get(ref.prompt_key)
            if row is None:
                raise StoreError(f"{ref.where}: dataset {self.batch.dataset!r} has no prompt {ref.prompt_key!r}.")
            if row.reference != ref.reference:
                (replaced if row.reference else added).add(ref.prompt_key)
                row.reference = ref.reference
        self.session.flush()
        self._report()
        return len(added), len(replaced)

    def _model(self, name: str, where: str) -> CandidateModel:
        model = self.models.get(name)
        if model is None:
            _import_text(name, "the model name", 200, where)
            model = get_or_create_model(self.session, name)
            self.models[name] = model
        return model

    def _responses(self) -> int:
        for item in self.batch.responses:
            self._model(item.model, item.where)
        self.session.flush()  # ids of the models created just now
        created = 0
        for item in self.batch.responses:
            self._count()
            prompt = self.prompts.get(item.prompt_key)
            if prompt is None:
                raise StoreError(f"{item.where}: dataset {self.batch.dataset!r} has no prompt {item.prompt_key!r}.")
            if not isinstance(item.text, str):
                raise StoreError(f"{item.where}: the response of {item.model!r} must be text, got {item.text!r}.")
            row = self.responses.get((item.prompt_key, item.model))
            if row is None:
                row = Response(prompt_id=prompt.id, model_id=self.models[item.model].id, text=item.text)
                self.session.add(row)
                self.responses[(item.prompt_key, item.model)] = row
                created += 1
            elif row.text != item.text:
                raise StoreError(
                    f"{item.where}: a different response of {item.model!r} to prompt {item.prompt_key!r} is already "
                    "stored."
                )
        self.session.flush()
        self._report()
        return created

    def _comparisons(self, dataset: Dataset) -> int:
        prompt_keys = {prompt.id: key for key, prompt in self.prompts.items()}
        model_names = {response.id: name for (_, name), response in self.responses.items()}
        existing = self.session.execute(
            select(Comparison.id, Comparison.prompt_id, Comparison.response1_id, Comparison.response2_id).where(
                Comparison.dataset_id == dataset.id
            )
        )
        for comparison_id, prompt_id, response1_id, response2_id in existing:
            key = (prompt_keys[prompt_id], model_names[response1_id], model_names[response2_id])
            self.comparisons[key] = comparison_id
        new: dict[tuple[str, str, str], Comparison] = {}
        for item in self.batch.comparisons:
            self._count()
            key = (item.prompt_key, item.model1, item.model2)
            if key in self.comparisons or key in new:
                continue
            if item.model1 == item.model2:
                raise StoreError(f"{item.where}: both responses are from model {item.model1!r}.")
            responses = []
            for model in (item.model1, item.model2):
                response = self.responses.get((item.prompt_key, model))
                if response is None:
                    raise StoreError(f"{item.where}: there is no response of {model!r} to prompt {item.prompt_key!r}.")
                responses.append(response)
            row = Comparison(
                dataset_id=dataset.id,
                prompt_id=self.prompts[item.prompt_key].id,
                response1_id=responses[0].id,
                response2_id=responses[1].id,
            )
            self.session.add(row)
            new[key] = row
        self.session.flush()
        self._report()
        self.comparisons.update({key: row.id for key, row in new.items()})
        return len(new)

    def _comparison_id(self, prompt_key: str, model1: str, model2: str, where: str) -> int:
        comparison_id = self.comparisons.get((prompt_key, model1, model2))
        if comparison_id is None:
            raise StoreError(
                f"{where}: dataset {self.batch.dataset!r} has no comparison of {model1!r} vs {model2!r} on prompt "
                f"{prompt_key!r}."
            )
        return comparison_id

    def _labels(self) -> tuple[int, int]:
        if not self.batch.labels:
            return 0, 0
        people: dict[str, Annotator] = {}
        for item in self.batch.labels:
            if item.annotator not in people:
                name = _import_text(item.annotator, "the annotator name", MAX_ANNOTATOR_NAME, item.where).strip()
                person = self.session.scalar(select(Annotator).where(Annotator.name == name))
                if person is not None and (person.password_hash is not None or person.role != "annotator"):
                    raise StoreError(  # a file must not put answers in a reviewer's (or the admin's) name
                        f"{item.where}: annotator {name!r} is a login account: imported labels may only go to "
                        "imported annotators; rename it with --map annotator=... (or --annotator NAME) or in the "
                        "file. Nothing was imported."
                    )
                if person is None:
                    person = self._new_annotator(name, item.where)
                people[item.annotator] = person
        self.session.flush()
        ids = set(self.comparisons.values())
        stored = {
            (label.comparison_id, label.annotator_id): label.verdict
            for label in self.session.scalars(
                select(Label).where(Label.annotator_id.in_([p.id for p in people.values()]))
            )
            if label.comparison_id in ids
        }
        new: list[Label] = []  # added and not yet flushed (with their events)
        written, labelled_by = 0, set[int]()

        def flush() -> None:
            nonlocal written
            self._store_labels(new)
            written += len(new)
            labelled_by.update(label.annotator_id for label in new)
            new.clear()

        for item in self.batch.labels:
            self._count(flush)
            if item.verdict not in VERDICT_VALUES:
                raise StoreError(f"{item.where}: label {item.verdict!r} is not one of {', '.join(VERDICT_VALUES)}.")
            comparison_id = self._comparison_id(item.prompt_key, item.model1, item.model2, item.where)
            person = people[item.annotator]
            seen = stored.get((comparison_id, person.id))
            if seen == item.verdict:
                continue
            if seen is not None:
                raise StoreError(
                    f"{item.where}: {person.name!r} already labelled this comparison {seen!r}; an import does not "
                    f"change labels (this record says {item.verdict!r})."
                )
            stored[(comparison_id, person.id)] = item.verdict
            new.append(Label(comparison_id=comparison_id, annotator_id=person.id, verdict=item.verdict))
        flush()
        self._report()
        return written, len(labelled_by)

    def _new_annotator(self, name: str, where: str) -> Annotator:
        """An imported annotator, of the kind the batch gives it (``annotator_kinds``), else crowd."""
        kind = dict(self.batch.annotator_kinds).get(name, "crowd")
        if kind not in ANNOTATOR_KINDS:
            raise StoreError(
                f"{where}: annotator {name!r} has kind {kind!r}, not one of {', '.join(ANNOTATOR_KINDS)}. "
                "Nothing was imported."
            )
        person = Annotator(name=name, kind=kind)
        self.session.add(person)
        if kind == "crowd":
            self.annotators_created += 1
        else:
            self.annotators_kinded += 1
        return person

    def _store_labels(self, labels: list[Label]) -> None:
        """Write ``labels`` and their "created" events (the events need the labels' ids: two flushes)."""
        self.session.add_all(labels)
        self.session.flush()
        self.session.add_all(
            LabelEvent(
                label_id=label.id,
                comparison_id=label.comparison_id,
                annotator_id=label.annotator_id,
                action="created",
                verdict=label.verdict,
                version=1,
            )
            for label in labels
        )
        self.session.flush()

    def _judge_run(self, item: ImportJudgeRun) -> ImportedRun:
        named = str(item.fingerprint.get("model", ""))
        model = _import_text(named, "the judge model", 500, self.batch.source, one_line=False)
        keyed = self._keyed_verdicts(item, model)
        run, before, note, same = self._run_for(item, model, keyed)
        add_sources(run, run_sources(item.fingerprint))  # an extended run names this file too
        keyed = {key: verdict for key, verdict in keyed.items() if key not in same}  # identical ones stay as they are
        ids = set(self.comparisons.values())
        stored = {
            (comparison_id, bool(swapped))
            for comparison_id, swapped in self.session.execute(
                select(JudgeVerdict.comparison_id, JudgeVerdict.swapped).where(JudgeVerdict.run_id == run.id)
            )
            if comparison_id in ids
        }
        unparsed = 0
        for key, verdict in keyed.items():
            self._count()
            if key in stored:
                raise StoreError(
                    f"{verdict.where}: judge run {model!r} (run {run.id}) already has this verdict on dataset "
                    f"{self.batch.dataset!r}: {self.batch.source} was already imported; nothing was written."
                )
            unparsed += verdict.status != "ok"
            self.session.add(
                JudgeVerdict(
                    run_id=run.id,
                    comparison_id=key[0],
                    swapped=verdict.swapped,
                    verdict=verdict.verdict,
                    status=verdict.status,
                    reason=verdict.reason,
                    reference=verdict.reference,
                    raw_output=verdict.raw_output,
                    latency_s=verdict.latency_s,
                    p_1=verdict.p_1,
                    p_2=verdict.p_2,
                    p_tie=verdict.p_tie,
                )
            )
        self.session.flush()
        self._report()
        self.runs_written.add(run.id)
        comparisons = len({comparison for comparison, _ in keyed})
        return ImportedRun(
            run.id,
            model,
            len(keyed),
            unparsed,
            comparisons,
            self._same_run(run.id),
            before=before,
            not_added=note,
            already=len(same),
        )

    def _keyed_verdicts(self, item: ImportJudgeRun, model: str) -> dict[tuple[int, bool], ImportVerdict]:
        """The run's verdicts, checked, by (comparison id, swapped): one per comparison and order in one import."""
        keyed: dict[tuple[int, bool], ImportVerdict] = {}
        for verdict in item.verdicts:
            if verdict.status not in PARSE_STATUSES:
                raise StoreError(f"{verdict.where}: unknown judge status {verdict.status!r}.")
            if (verdict.status == "ok") != (verdict.verdict in VERDICT_VALUES):
                raise StoreError(
                    f"{verdict.where}: verdict {verdict.verdict!r} does not fit status {verdict.status!r}."
                )
            comparison_id = self._comparison_id(verdict.prompt_key, verdict.model1, verdict.model2, verdict.where)
            key = (comparison_id, verdict.swapped)
            if key in keyed:
                raise StoreError(
                    f"{verdict.where}: a second verdict of {model!r} on the same comparison and presentation order "
                    "in one import."
                )
            keyed[key] = verdict
        return keyed

    def _run_for(
        self, item: ImportJudgeRun, model: str, keyed: dict[tuple[int, bool], ImportVerdict]
    ) -> tuple[JudgeRun, int, str, set[tuple[int, bool]]]:
        """The run these verdicts go into, the verdicts it held on this dataset before, why they did not go
        into the run of the same judge ('' when they did, or there is none), and the keys of ``keyed`` that run
        already holds with the same verdict (not to be written again). The rule of ``judge``, which continues its
        judge's run and judges only what that run has not judged: a run of the same judge (the same fingerprint
        but for the file, ``same_judge``) that holds verdicts on this dataset, none on these comparisons in these
        orders, takes them (an extended session: s16 campaign, finding 2). One that holds some of them, each with
        the same verdict as the file, takes the rest (the whole file exported again with new pairs: s17 review
        finding 6); all of them, the same, is the file imported again (refused). Any of them different: these
        verdicts become a run of their own, with a warning saying so."""
        counts = self._run_sizes()
        exact = self.session.scalar(select(JudgeRun).where(JudgeRun.fingerprint_key == item.fingerprint_key))
        if exact is not None and counts.get(exact.id):
            return exact, counts[exact.id], "", set()  # the same file (name) again: its run, as before
        note = ""
        same = self.session.scalars(
            select(JudgeRun).where(JudgeRun.id.in_(list(counts)), JudgeRun.model == model).order_by(JudgeRun.id)
        ).all()
        earlier = next((run for run in same if run.id not in self.runs_written and _same_judge(run, item)), None)
        if earlier is not None:
            held = self._held(earlier.id, keyed)
            if not held:
                return earlier, counts[earlier.id], "", set()
            if len(held) < len(keyed) and not _differ(held, keyed):
                return earlier, counts[earlier.id], "", set(held)
            if len(held) == len(keyed) and all(held[key] == _said(verdict) for key, verdict in keyed.items()):
                raise StoreError(
                    f"{self.batch.source}: judge run {model!r} (run {earlier.id}) already has these verdicts on "
                    f"dataset {self.batch.dataset!r}: {self.batch.source} was already imported; nothing was written."
                )
            note = (
                f"Not added to run {earlier.id} of the same judge, which already has verdicts on {len(held)} of "
                f"these {len(keyed)} (comparison, order) pairs{' (some different)' if _differ(held, keyed) else ''}"
            )
        if exact is None:
            exact = JudgeRun(
                fingerprint_key=item.fingerprint_key,
                fingerprint=item.fingerprint,
                model=model,
                profile=str(item.fingerprint.get("profile", "")),
            )
            self.session.add(exact)
            self.session.flush()
        return exact, counts.get(exact.id, 0), note, set()

    def _run_sizes(self) -> dict[int, int]:
        """Verdicts per judge run on this dataset (runs without any left out)."""
        rows = self.session.execute(
            select(JudgeVerdict.run_id, func.count())
            .join(Comparison, JudgeVerdict.comparison_id == Comparison.id)
            .where(Comparison.dataset_id == self.dataset_id)
            .group_by(JudgeVerdict.run_id)
        )
        return {run_id: n for run_id, n in rows}

    def _held(
        self, run_id: int, keyed: dict[tuple[int, bool], ImportVerdict]
    ) -> dict[tuple[int, bool], tuple[str | None, str]]:
        """What run ``run_id`` holds of ``keyed``: (verdict, status) by (comparison id, swapped)."""
        rows = self.session.execute(
            select(JudgeVerdict.comparison_id, JudgeVerdict.swapped, JudgeVerdict.verdict, JudgeVerdict.status)
            .join(Comparison, JudgeVerdict.comparison_id == Comparison.id)
            .where(JudgeVerdict.run_id == run_id, Comparison.dataset_id == self.dataset_id)
        )
        found = {(comparison, bool(swapped)): (verdict, status) for comparison, swapped, verdict, status in rows}
        return {key: said for key, said in found.items() if key in keyed}

    def _verdicts_on_dataset(self, run_ids: Any) -> dict[int, Counter[tuple[int, bool, str | None]]]:
        """Each of ``run_ids``' verdicts on this dataset as (comparison id, swapped, verdict), counted."""
        rows = self.session.execute(
            select(JudgeVerdict.run_id, JudgeVerdict.comparison_id, JudgeVerdict.swapped, JudgeVerdict.verdict)
            .join(Comparison, JudgeVerdict.comparison_id == Comparison.id)
            .where(Comparison.dataset_id == self.dataset_id, JudgeVerdict.run_id.in_(run_ids))
        )
        found: dict[int, Counter[tuple[int, bool, str | None]]] = {}
        for run_id, comparison_id, swapped, verdict in rows:
            found.setdefault(run_id, Counter())[(comparison_id, bool(swapped), verdict)] += 1
        return found

    def _same_run(self, run_id: int) -> str:
        """An earlier judge run on this dataset whose verdicts are exactly those of ``run_id`` (the same
        comparisons in the same orders, the same verdict on each, at least ``SAME_RUN_MIN`` of them), as
        "'NAME' (run N)"; '' when none. The same file imported under a second --judge name stores the same
        judgments twice, and every figure would count that judge twice without a word."""
        counts = self.session.execute(
            select(JudgeVerdict.run_id, func.count())
            .join(Comparison, JudgeVerdict.comparison_id == Comparison.id)
            .where(Comparison.dataset_id == self.dataset_id)
            .group_by(JudgeVerdict.run_id)
        ).all()
        size = dict(counts).get(run_id, 0)
        others = [other for other, n in counts if n == size and other not in self.runs_written]
        if size < SAME_RUN_MIN or not others:
            return ""
        verdicts = self._verdicts_on_dataset([run_id, *others])
        mine = verdicts.get(run_id)
        same = min((other for other in others if verdicts.get(other) == mine), default=None)
        if same is None:
            return ""
        name = self.session.get(JudgeRun, same)
        return f"{name.model if name is not None else ''!r} (run {same})"
