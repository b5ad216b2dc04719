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
        help=f"demo name, model folder, .gguf file or cached hub id (default {DEFAULTS.judge_model})",
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
        "or the file name for jsonl/csv)",
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

    metrics = sub.add_parser("metrics", help="agreement, rankings and biases of one dataset")
    _storage(metrics)
    metrics.add_argument("--dataset", required=True, help="dataset name")
    metrics.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    metrics.add_argument("--alpha", type=float, default=0.05, help="significance level of the partial order")
    metrics.add_argument("--bootstrap", type=int, default=200, help="Bradley-Terry bootstrap resamples (default 200)")
    metrics.add_argument("--baseline", help="model for win rates (default: the model in every comparison, if any)")

    export = sub.add_parser("export", help="export labels (long), items (wide) or DPO pairs as JSONL or CSV")
    _storage(export)
    export.add_argument("--dataset", required=True, help="dataset name")
    export.add_argument("--kind", choices=EXPORT_KINDS, default="labels", help="labels (long), wide or dpo")
    export.add_argument("--format", choices=EXPORT_FORMATS, help="default from the output's suffix, else jsonl")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
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
    evaluate = sub.add_parser(
        "evaluate", help="PandaLM-style pipeline: judge every pair of candidate files on every input, rank them"
    )
    _common(evaluate)
    evaluate.add_argument("candidates", nargs="+", help="candidate JSON files (list of strings, or AlpacaEval layout)")
    evaluate.add_argument(
        "--input", dest="input_data", help="inputs JSON: [{instruction, input?}] (optional for AlpacaEval)"
    )
    evaluate.add_argument("--output", required=True, help="where to write the results (JSON)")
    evaluate.add_argument("--both-orders", action="store_true", help="also judge with the responses swapped")
    evaluate.add_argument("--alpha", type=float, default=0.05, help="significance level of the partial order")
    evaluate.add_argument("--rule", choices=["sign-test", "more-wins"], default="sign-test")
    _data_commands(sub)
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
    if not _is_loopback(settings.host):
        sys.exit(
            f"Refusing to listen on {settings.host}: Judge Studio has no authentication yet, so it only "
            "listens on a loopback address (127.0.0.1). Put it behind an authenticating proxy instead."
        )
    from ui import build_ui, css_paths, head_html

    studio = Studio(settings)
    studio.warm_up_in_background()
    demo = build_ui(studio)
    print(f"Judge Studio: data in {settings.database}")
    demo.queue(default_concurrency_limit=4).launch(
        server_name=settings.host,
        server_port=settings.port,
        head=head_html(),
        css_paths=css_paths(),
        footer_links=["api"],
    )


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


def evaluate_command(settings: Settings, args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from orchestration import EvaluationPipeline

    bars: list[Any] = []

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="judgment", desc="Judging"))
        bars[0].n = done
        bars[0].refresh()

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
    )
    result = pipeline.evaluate()
    for bar in bars:
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
        elif command == "evaluate":
            evaluate_command(settings, args)
        elif command == "import":
            import_command(settings, args)
        elif command == "metrics":
            metrics_command(settings, args)
        elif command == "export":
            export_command(settings, args)
        else:
            serve(settings)
    except UserError as exc:
        sys.exit(f"judge-studio: {exc}")


if __name__ == "__main__":
    main()
