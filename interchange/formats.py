"""The import formats' names and descriptions, and the format a file's name implies: plain data, imported by
``judge-studio import --help`` and by an import that names no ``--format`` before pandas, SQLAlchemy or the
statistics load (s15 novice, findings 4 and 6: ``import --help`` took 17 s)."""

from __future__ import annotations

from pathlib import Path

#: The file layouts ``interchange.importers`` reads (its ``IMPORT_FORMATS``).
FILE_FORMATS: dict[str, str] = {
    "pandalm-testset": "PandaLM human test set (testset-v1.json): items and three annotators' labels",
    "pandalm-judgments": "PandaLM-7B's or gpt-3.5's released judgments of the PandaLM test set",
    "pandalm-pipeline": "PandaLM EvaluationPipeline inputs (instruction, input) with --candidate MODEL=FILE "
    "response lists; all pairwise comparisons",
    "llmbar-dataset": "LLMBar pairs with the human label (dataset.json)",
    "llmbar-results": "one LLMBar judge's verdicts in both orders (<judge>/result.json)",
    "mtbench-questions": "MT-Bench questions (question.jsonl)",
    "mtbench-reference": "MT-Bench reference answers (reference_answer/<model>.jsonl)",
    "mtbench-answers": "MT-Bench model answers (model_answer/<model>.jsonl)",
    "alpacaeval-outputs": "AlpacaEval model_outputs.json",
    "alpacaeval-annotations": "AlpacaEval annotations.json (an auto-annotator's preferences)",
    "jsonl": "any JSONL file, with a column mapping",
    "csv": "any CSV file, with a column mapping",
}

#: Every format ``orchestration.datasets.import_file`` reads: the file layouts and the judge checkup's suites.
IMPORT_FORMATS: dict[str, str] = {
    **FILE_FORMATS,
    "evalbiasbench": "EvalBiasBench pairs in six bias types, the better response known (biasbench.json)",
    "hhh-alignment": "HHH alignment human-preference pairs from Prometheus grading prompts (hhh_alignment_eval.json)",
}

#: The wide export's format column and its value (s18): a CSV wide export with ``export_format`` 2 or more put one
#: apostrophe before every cell starting with = + - @ tab CR or ``'`` (``interchange.exporters.neutralize``), so the
#: import takes exactly that one off; a file without it (exported before s18) is read as written.
EXPORT_FORMAT_COLUMN = "export_format"
WIDE_EXPORT_FORMAT = 2

#: The extensions that say which format a file is in; any other (.json above all) can be one of several.
FORMAT_OF_SUFFIX = {".csv": "csv", ".jsonl": "jsonl"}


def format_of_name(name: str | Path) -> str | None:
    """The import format a file's extension implies (.csv: csv, .jsonl: jsonl), or None when it does not say
    (a .json file can be one of several formats). One rule for the Admin page's "from the file name"
    (``orchestration.admin.format_of_file``) and ``judge-studio import`` without ``--format``."""
    return FORMAT_OF_SUFFIX.get(Path(name).suffix.lower())


def unsaid_format(name: str | Path, choices: tuple[str, ...] | list[str], how: str) -> str:
    """The message for a file whose extension does not say its format: ``how`` to choose one (``--format FORMAT``,
    "the Format") and the ``choices``."""
    suffix = Path(name).suffix.lower()
    kind = f"a {suffix} file" if suffix else "a file without an extension"
    return (
        f"{Path(name).name}: choose {how} ({kind} can be one of several: {', '.join(choices)}; only .csv and .jsonl "
        "are read by their extension); nothing was imported."
    )


#: LLMBar names every judge's file ``result.json``; a stem like this names no judge (``judge_of_file``).
UNNAMING_STEMS = ("result", "results")


def judge_of_file(path: str | Path, *, uploaded: bool = False) -> str | None:
    """The judge an LLMBar result file is of when no judge name is given (``llmbar-results``): the folder holding it,
    as LLMBar lays its results out (``GPT-4/result.json`` is GPT-4's), for ``judge-studio import``. An uploaded file
    (the Admin page, REST ``POST /api/v1/datasets/import``) keeps only its own name: the server's temporary folder
    names nothing (s18 notebook, finding 3), so the file's stem names the judge (``GPT-4.json``), and None means
    the name says nothing (``result.json``): the caller must ask for the judge's name."""
    path = Path(path)
    if not uploaded:
        return path.resolve().parent.name or None
    stem = path.stem.strip()
    return None if stem.lower() in ("", *UNNAMING_STEMS) else stem


def unnamed_judge(name: str | Path, how: str) -> str:
    """The message for an uploaded LLMBar result file whose name names no judge: ``how`` to name it ("the Judge name
    field", "the form field `judge`")."""
    return (
        f"{Path(name).name}: give the judge's name in {how}. An uploaded file keeps only its own name, not the folder "
        "that names an LLMBar judge (GPT-4/result.json is GPT-4's); nothing was imported."
    )
