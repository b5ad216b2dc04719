"""EvalBiasBench (ncsoft/offsetbias ``data/evalbiasbench/biasbench.json``, BSD-3-Clause; its LICENSE
travels with the file): 80 pairs in six bias types whose better response is known.

Layout: ``{subset: [{bias, instruction, response1, response2, label}]}``; ``label`` is the better
response (always 1 in the released file). Each record becomes one comparison; its category is the
bias type (``length``, ``concreteness``, ``empty reference``, ``content continuation``, ``nested
instruction``, ``familiar knowledge``; another subset keeps its own name), its prompt key
``<bias type>/<n>`` (1-based within the subset). The known-better side is stored as the labels of
one annotator (``evalbiasbench-gold``), as LLMBar's human majority is, so every agreement figure and
the judge checkup (``orchestration.checkup``) read it like any label. The two responses are
attributed to position names (``EVALBIASBENCH_MODELS``), not models.

The released file holds the better response first in every record, so a judge that always picks
response 1 would score 1.000 on it. ``preferred_second`` puts the better response second on about
half of the pairs (by a hash of the prompt key: the same sides on every import) and the gold label
follows it (s15 benchmarker, finding 4).

Two steps, as ``read_table`` / ``ParsedTable.write``: ``read_evalbiasbench`` reads and checks the
whole file (a bad record stops it with file, record and field), then ``ParsedPairs.write`` hands it
to the store's batch import in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from annotation_store.batch_import import ImportLabel, ImportPrompt, ImportSummary
from annotation_store.store import Store, StoreError
from interchange.importers import (
    EVALBIASBENCH_MODELS,
    _Collected,
    _decisive_label,
    _open_text,
    _Record,
    _shown,
    not_json_message,
)

EVALBIASBENCH_DATASET = "evalbiasbench"
EVALBIASBENCH_ANNOTATOR = "evalbiasbench-gold"
#: EvalBiasBench does not name the models behind its responses; these stand for the two positions.
#: The released file's subset names -> the bias type shown (the file mixes spaces, underscores and suffixes).
BIAS_TYPES = {
    "length bias": "length",
    "concreteness": "concreteness",
    "empty reference": "empty reference",
    "content_continuation": "content continuation",
    "nested_instruction": "nested instruction",
    "familiar knowledge preference bias": "familiar knowledge",
}


def preferred_second(key: str) -> bool:
    """Whether the better (preferred) response of the pair with prompt key ``key`` is shown second: the
    lowest bit of the first byte of sha256(key). Deterministic (a re-import gives the same sides), about
    half of the keys, and independent of the file's order, so an always-"response 1" judge scores about 0.5."""
    return hashlib.sha256(key.encode("utf-8")).digest()[0] % 2 == 1


def placed(
    key: str, better: str, other: str, models: tuple[str, str] = EVALBIASBENCH_MODELS
) -> tuple[tuple[str, str], tuple[str, str], str]:
    """(first (position, text), second (position, text), gold label) with ``better`` placed by ``preferred_second``."""
    model1, model2 = models
    if preferred_second(key):
        return (model1, other), (model2, better), "2"
    return (model1, better), (model2, other), "1"


#: a suite dataset of at least this many pairs whose gold labels are all "1" was imported before s15
OLD_LAYOUT_MIN_PAIRS = 20


def old_layout_note(store: Store, dataset: str, annotator: str) -> str | None:
    """Why ``dataset`` cannot be trusted, or None: imported before s15 (every gold label of ``annotator`` "1" over
    at least ``OLD_LAYOUT_MIN_PAIRS`` pairs), when the importer put the preferred response first everywhere, so an
    always-"1" judge scores 1.000 on it; the importer now places the sides by a hash of the prompt key (s15 reviewB,
    defect 1). The note names the command that removes it."""
    if dataset not in store.dataset_names():
        return None
    labels = store.labels(dataset)
    gold = labels.loc[labels["annotator"] == annotator, "verdict"].astype(str)
    if len(gold) < OLD_LAYOUT_MIN_PAIRS or not (gold == "1").all():
        return None
    return (
        f"Dataset {dataset!r} was imported by an older Judge Studio that put the preferred response first in all "
        f'{len(gold)} pairs, so a judge that always answers "1" scores 1.000 on it; the importer now places the '
        f"two sides by a hash of the prompt key. Delete it (`judge-studio datasets delete {dataset}`) and import the "
        "file again (the checkup imports it itself)."
    )


def with_old_layout_note(exc: StoreError, store: Store, dataset: str, annotator: str) -> StoreError:
    """``exc`` (a refused import) with the old-layout note after it when that is the cause; else ``exc``."""
    note = old_layout_note(store, dataset, annotator)
    return type(exc)(f"{exc} {note}") if note else exc


@dataclass
class ParsedPairs:
    """A file of pairs read and checked, not yet written: what the importer hands to the store."""

    path: Path
    collected: _Collected
    description: str
    annotator: str  # whose labels are the known-better side (what ``old_layout_note`` looks at)

    @property
    def pairs(self) -> int:
        return len(self.collected.comparisons)

    def write(self, store: Store, dataset: str) -> ImportSummary:
        """Everything in one transaction; a dataset of that name already there is refused (imported before), and
        the refusal of one imported before s15 says why and how to import it again (``old_layout_note``)."""
        try:
            return self.collected.write(store, self.path, dataset, "new", description=self.description)
        except StoreError as exc:
            raise with_old_layout_note(exc, store, dataset, self.annotator) from exc


def _subset_records(path: Path) -> list[tuple[str, _Record]]:
    """(subset name, record) for every record, numbered through the whole file."""
    text = _open_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(not_json_message(path.name, text, exc)) from None
    if not isinstance(data, dict):
        raise StoreError(f"{path.name}: expected a JSON object of bias subsets, got {type(data).__name__}.")
    records: list[tuple[str, _Record]] = []
    for subset, items in data.items():
        if not isinstance(items, list):
            raise StoreError(f"{path.name}, subset {subset!r}: expected a list of records, got {_shown(items)}.")
        for index, item in enumerate(items, start=1):
            number = len(records) + 1
            ident = f"subset {subset!r}, item {index}"
            if not isinstance(item, dict):
                raise StoreError(f"{path.name}, record {number} ({ident}): expected a JSON object, got {_shown(item)}.")
            records.append((subset, _Record(path.name, number, item, ident=ident)))
    if not records:
        raise StoreError(f"{path.name}: the file holds no records; nothing was imported.")
    return records


def read_evalbiasbench(path: str | Path, *, annotator: str = EVALBIASBENCH_ANNOTATOR) -> ParsedPairs:
    """Read and check ``biasbench.json`` without touching the store (see the module docstring).

    Every record needs text ``instruction`` (non-empty), ``response1``, ``response2`` (non-empty),
    ``bias`` equal to its subset's name, and ``label`` 1 or 2.
    """
    file = Path(path)
    model1, model2 = EVALBIASBENCH_MODELS
    out = _Collected()
    counts: dict[str, int] = {}
    for subset, record in _subset_records(file):
        bias = record.text("bias", nonempty=True)
        if bias != subset:
            record.fail("bias", f"expected the subset's name {subset!r}, got {_shown(bias)}")
        category = BIAS_TYPES.get(subset, subset)
        counts[category] = counts.get(category, 0) + 1
        key, where = f"{category}/{counts[category]}", record.where
        out.prompts.append(ImportPrompt(key, record.text("instruction", nonempty=True), category=category, where=where))
        response1, response2 = record.text("response1", nonempty=True), record.text("response2", nonempty=True)
        if response1 == response2:
            record.fail("response2", "the same text as response1: there is no better response to find")
        better, other = (response1, response2) if _decisive_label(record, "label") == "1" else (response2, response1)
        first, second, label = placed(key, better, other)
        out.pair(key, first, second, where)
        out.labels.append(ImportLabel(key, model1, model2, annotator, label, where))
    description = (
        f"EvalBiasBench ({file.name}; ncsoft/offsetbias, BSD-3-Clause): {len(out.comparisons)} pairs in "
        f"{len(counts)} bias types, the better response known ({annotator}) and shown first or second by a hash of "
        f"the prompt key ({sum(label.verdict == '2' for label in out.labels)} second)"
    )
    return ParsedPairs(file, out, description, annotator)


def import_evalbiasbench(
    store: Store,
    path: str | Path,
    *,
    dataset: str = EVALBIASBENCH_DATASET,
    annotator: str = EVALBIASBENCH_ANNOTATOR,
) -> ImportSummary:
    """EvalBiasBench's pairs and their known-better side (labels of ``annotator``), all or nothing; a refusal of a
    dataset imported before s15 says why and how to import it again (``old_layout_note``)."""
    return read_evalbiasbench(path, annotator=annotator).write(store, dataset)
