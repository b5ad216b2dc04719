"""``POST /api/v1/datasets/import``: import one dataset file over HTTP (admin), as the Admin page's import and
``judge-studio import`` do.

The file comes as a multipart upload with the Admin page's options (format, dataset name, judge, column mapping,
model and annotator names); ``orchestration.AdminDesk.import_dataset`` checks the admin role, the format and the
text and runs the one importer (``orchestration.datasets.import_file``), all or nothing, so a refused file (its
message names the file, the line and the column, as on the page and the command line) writes nothing. The answer
holds the same summary sentence the command line prints, and its counts.

The body is held to ``max_upload_mb`` before it is read (``web/limits.py``, ``UPLOAD_ROUTES``: 413 over it), and a
token of another role than admin is refused (403) there too, before the body is read; the route checks the role
again (a body under 64 KB is not looked at first) before the upload is written to a private temporary folder,
which is removed afterwards. Like
every REST route it takes an API token only (``Authorization: Bearer``), never the session cookie, so no other
site can make a browser call it; a browser's cookie request from another origin is refused (403) by
``web.security`` before it gets here.
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from fastapi import File, Form, UploadFile
from pydantic import BaseModel, Field

from orchestration import AdminDesk, ImportRequest
from orchestration.admin import ADMIN, AUTO_FORMAT, CLI_ONLY_IMPORTS, REST_FIELDS, TABLE_FORMATS, UPLOAD_FORMATS
from web.routes.common import Caller, StudioDep, answers, api_router

router = api_router("data")

#: The statuses this route answers, in its own words where they differ from every route's.
IMPORT_ANSWERS = answers(
    400,
    401,
    403,
    413,
    415,
    notes={
        400: "the file cannot be imported (the message names the file, the line and the column); nothing was written",
        403: "only admins import",
        413: "the file is larger than max_upload_mb; nothing was read or stored",
        415: "the body was not sent as multipart/form-data (the file in the field 'file')",
    },
)

#: The longest option text taken (a dataset or model name is at most 200 characters in the store).
MAX_NAME, MAX_MAPPING = 200, 5000


class ImportedRunOut(BaseModel):
    run_id: int = Field(
        description="the judge run holding these verdicts: a new run, or (`extended`) the run of the same judge the "
        "dataset already had"
    )
    model: str = Field(description="the judge's name")
    verdicts: int = Field(description="verdicts this import added")
    unparsed: int = Field(description="of them, verdicts that could not be parsed")
    comparisons: int = Field(description="distinct comparisons among the verdicts (fewer when some are in both orders)")
    extended: bool = Field(
        description="the verdicts were added to the run of the same judge that the dataset already had "
        '(`summary`: "added to run N (now M verdicts; ...)"); false for a new run'
    )
    verdicts_in_run: int = Field(description="verdicts the run holds on this dataset now, these included (M)")
    already: int = Field(
        0,
        description="verdicts of the file the run already held, identical, so not written again (`summary`: "
        '"K already there, identical"; 0 when none)',
    )

    @classmethod
    def of(cls, run: Any) -> "ImportedRunOut":
        """The answer's line of one imported run (``annotation_store.batch_import.ImportedRun``): ``before`` > 0
        means the verdicts went into a run the dataset had (``ImportedRun.describe``'s "added to run N")."""
        before = int(run.before)
        return cls(
            run_id=run.run_id,
            model=run.model,
            verdicts=run.verdicts,
            unparsed=run.unparsed,
            comparisons=run.comparisons,
            extended=before > 0,
            verdicts_in_run=before + int(run.verdicts),
            already=int(run.already),
        )


class ImportOut(BaseModel):
    """What the import wrote; ``summary`` is the sentence ``judge-studio import`` prints and the Admin page shows."""

    summary: str = Field(description="what was imported, in words (warnings at its end)")
    dataset: str
    source: str = Field(description="the uploaded file's name")
    dataset_created: bool
    nothing_new: bool = Field(description="the file was imported before: nothing was added")
    rows_written: int = Field(
        description="prompts, prompts updated, references, responses, comparisons, labels and verdicts added"
    )
    prompts: int
    prompts_updated: int
    references_added: int = Field(0, description="reference answers set where the prompt had none")
    references_replaced: int = Field(0, description="reference answers that replaced a different stored one")
    responses: int
    comparisons: int
    labels: int
    annotators: int = Field(description="annotators whose labels were added")
    annotators_created: int = Field(description="of them, accounts this import created (kind crowd)")
    annotators_kinded: int = Field(
        description="of them, accounts this import created with the kind the file gives them (not crowd); "
        "annotators_created + annotators_kinded is every account it created"
    )
    judge_runs: list[ImportedRunOut]
    warnings: list[str] = Field(description='what the import noticed but did not refuse, each starting "Warning:"')


def _upload_name(name: str | None) -> str:
    """The uploaded file's own name, without any folder (a browser or curl may send one); its suffix picks the
    format when ``format`` is ``auto``, and messages name it."""
    base = PurePosixPath((name or "").replace("\\", "/")).name.strip()
    return base if base not in ("", ".", "..") else "upload"


FORMAT_HELP = (
    f"{AUTO_FORMAT} (default: .csv is csv, .jsonl is jsonl; a .json file needs its format) or one of "
    f"{', '.join(UPLOAD_FORMATS)}. {CLI_ONLY_IMPORTS}"
)


JUDGE_HELP = (
    "judge name (judgment/results formats). llmbar-results: default the file's name (GPT-4.json is GPT-4's); "
    "an upload does not keep its folder, so a file named result.json needs this field"
)


@router.post("/datasets/import", response_model=ImportOut, responses=IMPORT_ANSWERS)
def import_dataset(
    user: Caller,
    studio: StudioDep,
    file: Annotated[UploadFile, File(description="the file to import (.csv, .jsonl or .json), UTF-8")],
    fmt: Annotated[str, Form(alias="format", max_length=40, description=FORMAT_HELP)] = AUTO_FORMAT,
    dataset: Annotated[
        str, Form(max_length=MAX_NAME, description="dataset name (default from the format or the file name)")
    ] = "",
    judge: Annotated[str, Form(max_length=MAX_NAME, description=JUDGE_HELP)] = "",
    mapping: Annotated[
        str,
        Form(
            max_length=MAX_MAPPING,
            description=f"{'/'.join(TABLE_FORMATS)} only: FIELD=COLUMN, comma-separated or one a line "
            "(e.g. instruction=question, response1=a, response2=b)",
        ),
    ] = "",
    model1: Annotated[str, Form(max_length=MAX_NAME, description="model of response 1 when no column holds it")] = "",
    model2: Annotated[str, Form(max_length=MAX_NAME, description="model of response 2 when no column holds it")] = "",
    annotator: Annotated[str, Form(max_length=MAX_NAME, description="annotator name of the file's labels")] = "",
) -> ImportOut:
    """Import one dataset file (admin only), as the Admin page's "Import a dataset file" does: all or nothing.
    A file that cannot be imported is a 400 whose message names the file, the line and the column, and nothing
    is written; a file over ``max_upload_mb`` is a 413 before it is read. Example:
    ``curl -H "Authorization: Bearer $TOKEN" -F file=@pairs.csv -F dataset=pairs -F
    "mapping=response1=a, response2=b" https://HOST/api/v1/datasets/import``."""
    studio.access.require(user.name, ADMIN)  # who asks first, then what they sent
    with tempfile.TemporaryDirectory(prefix="judge-studio-import-") as folder:
        path = Path(folder) / _upload_name(file.filename)
        with path.open("wb") as saved:
            shutil.copyfileobj(file.file, saved)
        form = ImportRequest(
            path=path,
            fmt=fmt,
            dataset=dataset,
            judge=judge,
            mapping=mapping,
            model1=model1,
            model2=model2,
            annotator=annotator,
            uploaded=True,
            names=REST_FIELDS,
        )
        summary = AdminDesk(studio).import_dataset(user.name, form)
    counts = {
        name: getattr(summary, name)
        for name in (
            "prompts",
            "prompts_updated",
            "references_added",
            "references_replaced",
            "responses",
            "comparisons",
            "labels",
            "annotators",
        )
    }
    runs = [ImportedRunOut.of(run) for run in summary.runs]
    written = sum(counts.values()) - summary.annotators + sum(run.verdicts for run in summary.runs)
    return ImportOut(
        summary=summary.describe(),
        dataset=summary.dataset,
        source=summary.source,
        dataset_created=summary.dataset_created,
        nothing_new=summary.nothing_new,
        rows_written=written,
        annotators_created=summary.annotators_created,
        annotators_kinded=summary.annotators_kinded,
        judge_runs=runs,
        warnings=list(summary.warnings),
        **counts,
    )
