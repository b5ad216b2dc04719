"""Judge Studio command line: ``judge-studio serve`` (the default) and ``judge-studio judge``;
``judge-studio import``, ``metrics`` and ``export`` work on the database alone (no model is loaded).

``python app.py`` is the same as ``judge-studio serve``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from orchestration import (  # noqa: E402
    EXPORT_FORMATS,
    EXPORT_KINDS,
    IMPORT_FORMATS,
    ImportOptions,
    Settings,
    Studio,
    UserError,
    dataset_metrics,
    export_dataset,
    format_report,
    import_file,
    open_data_store,
    parse_mapping,
)

DEFAULTS = Settings()


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", help=f"data directory (default {DEFAULTS.home}; env JUDGE_STUDIO_HOME)")
    parser.add_argument("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://… (default: SQLite in home)")
    parser.add_argument(
        "--judge-model",
        help=(
            f"demo name, model folder, .gguf file, cached hub id, or an OpenAI-compatible server as "
            f"openai:<served-name>@http://host:port/v1 (default {DEFAULTS.judge_model})"
        ),
    )
    parser.add_argument("--judge-profile", help=f"prompt/parse format (default {DEFAULTS.judge_profile})")
    parser.add_argument(
        "--quantization",
        choices=["auto", "nf4", "fp4", "int8", "none"],
        help="auto: NF4 on CUDA, plain weights on the CPU",
    )
    parser.add_argument("--device", help="auto, cpu, cuda, cuda:1 …")
    parser.add_argument("--decoding", help="decoding preset of the profile: fast (greedy) or released")
    parser.add_argument("--max-new-tokens", type=int, help=f"default {DEFAULTS.max_new_tokens}")
    parser.add_argument(
        "--verdict-mode",
        choices=["auto", "generate", "constrained"],
        help="generate: parse the model's own output; constrained: pick the verdict word by one forward pass, "
        "then generate the reason (auto: constrained for the demo judge only)",
    )


def _storage(parser: argparse.ArgumentParser) -> None:
    """Options of the commands that only use the database (import, metrics, export)."""
    parser.add_argument("--home", help=f"data directory (default {DEFAULTS.home}; env JUDGE_STUDIO_HOME)")
    parser.add_argument("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://… (default: SQLite in home)")


def _data_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    formats = "; ".join(f"{name}: {text}" for name, text in IMPORT_FORMATS.items())
    imp = sub.add_parser(
        "import",
        help="import a dataset, human labels or judge outputs from a file (all or nothing)",
        description=f"Formats: {formats}.",
    )
    _storage(imp)
    imp.add_argument("file", help="the file to import")
    imp.add_argument("--format", required=True, choices=list(IMPORT_FORMATS), help="the file's layout (see above)")
    imp.add_argument(
        "--dataset",
        help="dataset name (default by format: pandalm-testset-v1, llmbar-mt-bench, mt-bench, alpaca-eval, "
        "or the file name for jsonl/csv/pandalm-pipeline)",
    )
    imp.add_argument("--judge", help="judge name for judge outputs (default from the file or its folder)")
    imp.add_argument("--baseline", help="answers: compare only with this model's answers (default: with all)")
    imp.add_argument("--model", help="answers: model name (default the file's model_id / generator)")
    imp.add_argument("--turn", type=int, choices=[1, 2], help="MT-Bench turn (default 1)")
    imp.add_argument("--models", help="PandaLM: comma-separated model names that cmp_key joins with '_'")
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="jsonl/csv: which column holds a field (instruction, input, response1, response2, model1, model2, "
        "key, category, reference, label, annotator, label:<annotator>, verdict, reason); repeat",
    )
    imp.add_argument("--model1", help="jsonl/csv: name of the model of response 1 when no column holds it")
    imp.add_argument("--model2", help="jsonl/csv: name of the model of response 2 when no column holds it")
    imp.add_argument("--annotator", help="annotator name (jsonl/csv, llmbar-dataset) or name prefix (pandalm)")
    imp.add_argument(
        "--candidate",
        action="append",
        default=[],
        metavar="MODEL=FILE",
        help="pandalm-pipeline: a candidate model and its JSON list of responses, one per input in order; repeat",
    )

    metrics = sub.add_parser("metrics", help="agreement, rankings and biases of one dataset")
    _storage(metrics)
    metrics.add_argument("--dataset", required=True, help="dataset name")
    metrics.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    metrics.add_argument("--alpha", type=float, default=0.05, help="significance level of the partial order")
    metrics.add_argument("--bootstrap", type=int, default=200, help="Bradley-Terry bootstrap resamples (default 200)")
    metrics.add_argument("--baseline", help="model for win rates (default: the model in every comparison, if any)")

    export = sub.add_parser("export", help="export labels (long), items (wide) or DPO pairs as JSONL, CSV or Parquet")
    _storage(export)
    export.add_argument("--dataset", required=True, help="dataset name")
    export.add_argument("--kind", choices=EXPORT_KINDS, default="labels", help="labels (long), wide or dpo")
    export.add_argument(
        "--format", choices=EXPORT_FORMATS, help="default from the output's suffix (.csv, .parquet), else jsonl"
    )
    export.add_argument("--output", "-o", help="file to write (default: standard output; parquet needs a file)")
    export.add_argument("--judges", action="store_true", help="labels: add every judge verdict as rows")
    export.add_argument("--source", default="majority", help="dpo: 'majority' (default) or a judge run id")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="judge-studio", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="start the web app (default)")
    _common(serve)
    serve.add_argument("--host", help=f"address to listen on (default {DEFAULTS.host})")
    serve.add_argument("--port", type=int, help=f"port (default {DEFAULTS.port})")
    judge = sub.add_parser("judge", help="judge a whole dataset, skipping what this judge already judged")
    _common(judge)
    judge.add_argument("--dataset", default="judge-studio-demo", help="dataset name (default the demo)")
    judge.add_argument("--limit", type=int, help="judge at most this many new comparisons")
    judge.add_argument("--batch-size", type=int, help=f"default {DEFAULTS.batch_size}")
    rate = sub.add_parser(
        "rate", help="single-answer grading: the judge rates every response of a dataset 1-10 (mtbench-single)"
    )
    _common(rate)
    rate.add_argument("--dataset", default="judge-studio-demo", help="dataset name (default the demo)")
    rate.add_argument("--limit", type=int, help="rate at most this many new responses")
    evaluate = sub.add_parser(
        "evaluate", help="PandaLM-style pipeline: judge every pair of candidate files on every input, rank them"
    )
    _common(evaluate)
    evaluate.add_argument(
        "candidates",
        nargs="+",
        help="candidate JSON files (list of strings, or AlpacaEval layout) or models whose responses are generated "
        "first: smollm2-demo, a model folder, a .gguf file or a cached hub id",
    )
    evaluate.add_argument(
        "--input", dest="input_data", help="inputs JSON: [{instruction, input?}] (optional for AlpacaEval)"
    )
    evaluate.add_argument("--output", required=True, help="where to write the results (JSON)")
    evaluate.add_argument("--both-orders", action="store_true", help="also judge with the responses swapped")
    evaluate.add_argument("--alpha", type=float, default=0.05, help="significance level of the partial order")
    evaluate.add_argument("--rule", choices=["sign-test", "more-wins"], default="sign-test")
    evaluate.add_argument(
        "--candidate-max-new-tokens", type=int, default=256, help="model candidates: new tokens per response"
    )
    evaluate.add_argument(
        "--candidate-prompt",
        choices=["auto", "chat", "alpaca"],
        default="auto",
        help="model candidates: their chat template (auto, when they have one) or PandaLM's Alpaca template",
    )
    _data_commands(sub)
    _users_commands(sub)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    fields = set(Settings.__dataclass_fields__)
    overrides = {k: v for k, v in vars(args).items() if k in fields and v is not None}
    if args.home:
        os.environ["JUDGE_STUDIO_HOME"] = args.home
    from pathlib import Path

    if "home" in overrides:
        overrides["home"] = Path(overrides["home"]).expanduser()
    return Settings.from_env(**overrides)


def serve(settings: Settings) -> None:
    """The web app (UI behind a login page, REST API, invite pages) with uvicorn, in one process."""
    import uvicorn

    from orchestration.access import ADMIN_PASSWORD_FILE
    from web import create_app

    if not _is_loopback(settings.host):
        print(
            f"Warning: listening on {settings.host}, reachable from other machines. Every page needs a login, "
            "but passwords, session cookies and API tokens cross the network in clear text: put Judge Studio "
            "behind an HTTPS reverse proxy (or a VPN) before people use it.",
            file=sys.stderr,
            flush=True,
        )
    studio = Studio(settings)
    password = studio.access.ensure_admin(settings.home)
    studio.warm_up_in_background()
    app = create_app(studio)
    url = f"http://{settings.host}:{settings.port}/"
    if password is not None:
        print(
            f"\nFirst start: created the admin account.\n"
            f"    Log in as admin / {password} (also in {settings.home / ADMIN_PASSWORD_FILE})\n"
            "    Add people with the Admin page, `judge-studio users add NAME` or `judge-studio users invite`.\n",
            flush=True,
        )
    print(f"Judge Studio on {url} (REST API docs: {url}api/v1/docs); data in {settings.database}", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", access_log=False)


def judge(settings: Settings, dataset: str, limit: int | None) -> None:
    from tqdm import tqdm

    studio = Studio(settings)
    print(f"Judge: {settings.judge_model} (profile {settings.judge_profile})", file=sys.stderr)
    bar = tqdm(total=0, unit="judgment", desc="Judging")

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    summary = studio.judge_dataset(dataset, limit=limit, on_progress=progress)
    bar.close()
    print(
        f"Judged {summary.judged} comparisons ({summary.unparsed} unparsed); skipped {summary.skipped} already "
        f"judged with this judge (run {summary.run_id}). Database: {settings.database}"
    )


def rate(settings: Settings, dataset: str, limit: int | None) -> None:
    from tqdm import tqdm

    studio = Studio(settings)
    print(f"Judge: {settings.judge_model} (profile mtbench-single)", file=sys.stderr)
    bar = tqdm(total=0, unit="rating", desc="Rating")

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    summary = studio.rate_dataset(dataset, limit=limit, on_progress=progress)
    bar.close()
    print(
        f"Rated {summary.rated} responses ({summary.unparsed} unparsed); skipped {summary.skipped} already "
        f"rated with this judge (run {summary.run_id}). Database: {settings.database}"
    )


def evaluate_command(settings: Settings, args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from evaluation import EvaluationPipeline

    bars: list[Any] = []

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="judgment", desc="Judging"))
        bars[0].n = done
        bars[0].refresh()

    generating: dict[str, Any] = {}

    def generation_progress(name: str, done: int, total: int) -> None:
        if name not in generating:
            generating[name] = tqdm(total=total, unit="response", desc=f"Generating {name}")
        generating[name].n = done
        generating[name].refresh()
        if done == total:
            generating[name].close()  # before the judging bar opens

    pipeline = EvaluationPipeline(
        args.candidates,
        args.input_data,
        args.output,
        judge=Studio.spec_for(settings),
        both_orders=args.both_orders,
        batch_size=settings.batch_size,
        alpha=args.alpha,
        rule=args.rule,
        on_progress=progress,
        candidate_max_new_tokens=args.candidate_max_new_tokens,
        candidate_prompt_format=args.candidate_prompt,
        on_generate=generation_progress,
    )
    result = pipeline.evaluate()
    for bar in [*generating.values(), *bars]:
        bar.close()
    print(result.win_table.to_string(index=False))
    print()
    print(result.ranking.to_string(index=False))
    print(f"\nResults written to {args.output}")


def import_command(settings: Settings, args: argparse.Namespace) -> None:
    options = ImportOptions(
        dataset=args.dataset,
        judge=args.judge,
        baseline=args.baseline,
        model=args.model,
        turn=args.turn,
        models=tuple(m.strip() for m in (args.models or "").split(",") if m.strip()),
        mapping=parse_mapping(args.map),
        model1=args.model1,
        model2=args.model2,
        annotator=args.annotator,
        candidates=tuple(args.candidate),
    )
    store = open_data_store(settings)
    try:
        summary = import_file(store, args.file, args.format, options)
    finally:
        store.close()
    print(f"{summary.describe()} Database: {settings.database}")


def metrics_command(settings: Settings, args: argparse.Namespace) -> None:
    store = open_data_store(settings)
    try:
        report = dataset_metrics(
            store, args.dataset, alpha=args.alpha, n_bootstrap=args.bootstrap, baseline=args.baseline
        )
    finally:
        store.close()
    try:
        print(json.dumps(report, ensure_ascii=False, allow_nan=False) if args.json else format_report(report))
    except BrokenPipeError:
        _reader_left()


def export_command(settings: Settings, args: argparse.Namespace) -> None:
    store = open_data_store(settings)
    try:
        rows = export_dataset(
            store,
            args.dataset,
            args.kind,
            fmt=args.format,
            output=args.output,
            include_judges=args.judges,
            source=args.source,
        )
    except BrokenPipeError:
        _reader_left()
    finally:
        store.close()
    print(f"Exported {rows} rows ({args.kind}) of {args.dataset!r}.", file=sys.stderr)


def _reader_left() -> None:
    """``judge-studio export ... | head``: the reader closed the pipe; stop quietly, as Unix tools do."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(1)


def _users_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser(
        "users",
        help="manage accounts (add, list, set, invite, token); acts as admin on this machine's database",
        description="Passwords are never taken as arguments: type them at the prompt or pipe them with "
        "--password-stdin.",
    )
    tasks = users.add_subparsers(dest="users_command", required=True, metavar="{add,list,set,invite,token}")
    add = tasks.add_parser("add", help="create an account")
    _storage(add)
    add.add_argument("name", help="the name the person logs in with")
    add.add_argument("--role", choices=ROLES, default="annotator", help="default annotator")
    add.add_argument("--kind", choices=KINDS, default="crowd", help="crowd or expert annotator (default crowd)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    listing = tasks.add_parser("list", help="every account with its role and label count")
    _storage(listing)
    change = tasks.add_parser("set", help="change an account's role, kind, active flag or password")
    _storage(change)
    change.add_argument("name")
    change.add_argument("--role", choices=ROLES)
    change.add_argument("--kind", choices=KINDS)
    change.add_argument("--active", choices=["yes", "no"], help="no: the account can no longer log in")
    change.add_argument("--password-stdin", action="store_true", help="read a new password from standard input")
    change.add_argument("--change-password", action="store_true", help="prompt for a new password")
    invite = tasks.add_parser("invite", help="print a one-time link that lets someone create their own account")
    _storage(invite)
    invite.add_argument("--role", choices=ROLES, default="annotator", help="default annotator")
    invite.add_argument("--kind", choices=KINDS, default="crowd", help="default crowd")
    invite.add_argument("--hours", type=float, default=72, help="how long the link works (default 72)")
    invite.add_argument("--host", help=f"the server's address for the link (default {DEFAULTS.host})")
    invite.add_argument("--port", type=int, help=f"the server's port for the link (default {DEFAULTS.port})")
    invite.add_argument("--base-url", help="the link's start as people reach the server, e.g. https://judge.example")
    token = tasks.add_parser("token", help="print a new REST API token for an account (shown once)")
    _storage(token)
    token.add_argument("name")
    token.add_argument("--label", default="cli", help="a note stored with the token")


ROLES = ("annotator", "reviewer", "admin")
KINDS = ("crowd", "expert")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Password (at least 8 characters): ")
    if getpass.getpass("The same password again: ") != first:
        sys.exit("judge-studio: the two passwords differ; nothing was saved.")
    return first


def users_command(settings: Settings, args: argparse.Namespace) -> None:
    from orchestration import Access

    store = open_data_store(settings)
    try:
        admin = Access(store).local_admin()
        task = args.users_command
        if task == "add":
            password = _read_password(args.password_stdin)
            admin.add_account(None, args.name, password, role=args.role, kind=args.kind)
            print(f"Added {args.role} {args.name!r} ({args.kind}). Database: {settings.database}")
        elif task == "list":
            print(admin.accounts(None).to_string(index=False))
        elif task == "set":
            new_password = _read_password(args.password_stdin) if args.password_stdin or args.change_password else None
            active = None if args.active is None else args.active == "yes"
            admin.update_account(None, args.name, role=args.role, kind=args.kind, active=active, password=new_password)
            print(f"Updated {args.name!r}.")
        elif task == "invite":
            secret = admin.invite(None, role=args.role, kind=args.kind, hours=args.hours)
            print(f"{_base_url(settings, args.base_url)}/invite/{secret}")
            print(f"One-time link for a new {args.role}, valid {args.hours:g} hours.", file=sys.stderr)
        elif task == "token":
            secret = admin.api_token(None, for_name=args.name, label=args.label)
            print(secret)
            print(
                f"API token for {args.name!r} (shown once): send it as 'Authorization: Bearer <token>'.",
                file=sys.stderr,
            )
    finally:
        store.close()


def _base_url(settings: Settings, given: str | None) -> str:
    if given:
        return given.rstrip("/")
    host = settings.host
    if host in ("0.0.0.0", "::", ""):  # listening everywhere: name this machine
        import socket

        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    command = args.command or "serve"
    if args.command is None:
        args = build_parser().parse_args(["serve", *(argv or sys.argv[1:])])
    try:
        settings = settings_from(args)
        if command == "judge":
            judge(settings, args.dataset, args.limit)
        elif command == "rate":
            rate(settings, args.dataset, args.limit)
        elif command == "evaluate":
            evaluate_command(settings, args)
        elif command == "import":
            import_command(settings, args)
        elif command == "metrics":
            metrics_command(settings, args)
        elif command == "export":
            export_command(settings, args)
        elif command == "users":
            users_command(settings, args)
        else:
            serve(settings)
    except UserError as exc:
        sys.exit(f"judge-studio: {exc}")


if __name__ == "__main__":
    main()
