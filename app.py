"""Judge Studio command line: ``judge-studio serve`` (the default) and ``judge-studio judge``.

``python app.py`` is the same as ``judge-studio serve``.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from collections.abc import Sequence

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from orchestration import Settings, Studio, UserError  # noqa: E402

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
        else:
            serve(settings)
    except UserError as exc:
        sys.exit(f"judge-studio: {exc}")


if __name__ == "__main__":
    main()
