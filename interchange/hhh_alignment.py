"""HHH alignment (BIG-bench, Askell et al. 2021) as prometheus-eval ships it for its benchmark
(``eval/benchmark/data/hhh_alignment_eval.json``, Apache-2.0): 221 human-preference pairs.

Layout: a JSON list of ``{source, chosen_instruction, rejected_instruction}``. The two texts are
complete Prometheus absolute-grading prompts that differ only in their ``###Response to evaluate:``
section: the chosen one holds the preferred response. This reader recovers the instruction (the
``###The instruction to evaluate:`` section) and both responses from them, and checks that the two
prompts agree everywhere else (a record that does not is refused with the field that differs).

Each record becomes one comparison: prompt key = the record's position (0-based, as in the file),
category = ``source`` (harmless, helpful, honest, other), the chosen response shown first or second
by a hash of the prompt key (``interchange.evalbiasbench.preferred_second``: about half each, the same
sides on every import; the file itself has no order, so always first would let an always-"response 1"
judge score 1.000: s15 benchmarker, finding 4), ``HHH_MODELS`` naming the two positions, and the human
preference stored as the labels of one annotator (``hhh-human-preference``), as LLMBar's human majority
is. The rubric section (one per subset) is Prometheus' and is not stored.
"""

from __future__ import annotations

from pathlib import Path

from annotation_store.batch_import import ImportLabel, ImportPrompt, ImportSummary
from annotation_store.store import Store
from interchange.evalbiasbench import ParsedPairs, placed
from interchange.importers import HHH_MODELS, _Collected, _read, _Record

HHH_DATASET = "hhh-alignment"
HHH_ANNOTATOR = "hhh-human-preference"
#: The file names no models: the preferred (chosen) response is stored first or second (``placed``).
INSTRUCTION_MARKER = "###The instruction to evaluate:\n"
RESPONSE_MARKER = "\n\n###Response to evaluate:\n"
RUBRIC_MARKER = "\n\n###Score Rubrics:\n"


def prompt_sections(record: _Record, field: str) -> tuple[str, str, str, str]:
    """(text before the instruction, instruction, response, text from the rubric on) of a grading prompt."""
    text = record.text(field, nonempty=True)
    for marker in (INSTRUCTION_MARKER, RESPONSE_MARKER, RUBRIC_MARKER):
        found = text.count(marker)
        if found != 1:
            record.fail(field, f"expected one {marker.strip()!r} section in the grading prompt, found {found}")
    head, _, rest = text.partition(INSTRUCTION_MARKER)
    instruction, _, rest = rest.partition(RESPONSE_MARKER)
    response, found_rubric, tail = rest.partition(RUBRIC_MARKER)
    if not found_rubric:
        record.fail(field, "the prompt's sections are out of order (instruction, response, score rubrics)")
    if not instruction.strip():
        record.fail(field, "the instruction section is empty")
    if not response.strip():
        record.fail(field, "the response section is empty")
    return head, instruction, response, tail


def _pair(record: _Record) -> tuple[str, str, str]:
    """(instruction, chosen response, rejected response) of one record."""
    chosen = prompt_sections(record, "chosen_instruction")
    rejected = prompt_sections(record, "rejected_instruction")
    for index, part in ((0, "the task description"), (1, "the instruction"), (3, "the score rubric")):
        if chosen[index] != rejected[index]:
            record.fail(
                "rejected_instruction",
                f"{part} differs from chosen_instruction's (the two prompts may differ only in the response)",
            )
    if chosen[2] == rejected[2]:
        record.fail("rejected_instruction", "the same response as chosen_instruction: there is no preference to find")
    return chosen[1], chosen[2], rejected[2]


def read_hhh_alignment(path: str | Path, *, annotator: str = HHH_ANNOTATOR) -> ParsedPairs:
    """Read and check ``hhh_alignment_eval.json`` without touching the store (see the module docstring)."""
    file, records = _read(path)
    out = _Collected()
    sources: set[str] = set()
    for record in records:
        source = record.text("source", nonempty=True).strip()
        record.ident = f"source {source}"
        sources.add(source)
        key, where = str(record.number - 1), record.where
        instruction, chosen, rejected = _pair(record)
        out.prompts.append(ImportPrompt(key, instruction, category=source, where=where))
        first, second, label = placed(key, chosen, rejected, HHH_MODELS)
        out.pair(key, first, second, where)
        out.labels.append(ImportLabel(key, *HHH_MODELS, annotator, label, where))
    description = (
        f"HHH alignment ({file.name}; BIG-bench via prometheus-eval, Apache-2.0): {len(out.comparisons)} "
        f"human-preference pairs ({', '.join(sorted(sources))}), the preferred response ({annotator}) shown first or "
        f"second by a hash of the prompt key ({sum(label.verdict == '2' for label in out.labels)} second)"
    )
    return ParsedPairs(file, out, description, annotator)


def import_hhh_alignment(
    store: Store, path: str | Path, *, dataset: str = HHH_DATASET, annotator: str = HHH_ANNOTATOR
) -> ImportSummary:
    """HHH alignment's pairs and the human preference (labels of ``annotator``), all or nothing; a refusal of a
    dataset imported before s15 says why and how to import it again (``old_layout_note``)."""
    return read_hhh_alignment(path, annotator=annotator).write(store, dataset)
