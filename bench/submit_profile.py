"""Where one submit → next item spends its time and how many SQL statements and transactions it runs,
for this tree and (``--baseline DIR``) another tree, without a server: the Annotate page's submit
handler as the UI calls it, and the REST pair (``POST /labels`` + ``POST /sessions/{name}/next``) as
the desk calls it.

Each tree runs in a child process (its own imports) over a fresh copy of the demo database; SQL is
counted with SQLAlchemy's ``before_cursor_execute`` event, BEGINs separately. ``--profile`` prints a
pyinstrument profile of the UI path (``pip install pyinstrument``); ``--statements`` prints the SQL of
one UI submit, transaction by transaction (to see what a change saved).

    .venv/bin/python bench/submit_profile.py [--baseline ../old-tree] [--submits 40] [--profile] [--statements]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SESSION = "profile"


def _counting(engine: Any) -> dict[str, int]:
    from sqlalchemy import event

    counts = {"statements": 0, "begins": 0}

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        counts["statements"] += 1

    @event.listens_for(engine, "begin")
    def _begin(*_args: Any) -> None:
        counts["begins"] += 1

    return counts


def _ui_submit(studio: Any, name: str) -> Any:
    """The Annotate page's submit handler, called as Gradio calls it (returns the next item's updates)."""
    import gradio as gr

    from ui.annotate import annotate_tab

    with gr.Blocks() as demo:
        page = annotate_tab(studio, demo)
    fns = {fn.api_name: fn.fn for fn in demo.fns.values()}
    request = gr.Request(username=name)

    def states(updates: Any) -> list[Any]:
        """id, swapped, shown at, version, key: by component (this tree) or by position (older trees)."""
        if isinstance(updates, dict):
            keys = (page.shown_id, page.shown_swapped, page.shown_at, page.shown_version, page.shown_key)
            return [updates[k] for k in keys]
        return list(updates[:5])

    state = states(fns["next_item"](SESSION, request))

    def submit() -> None:
        nonlocal state
        item_id, swapped, _at, version, key = state
        args = (item_id, swapped, 1.0, version, key, "left", 0, False, "", request)
        state = states(fns["submit_label"]("submit", SESSION, *args))

    return submit


def _rest_submit(studio: Any, name: str) -> Any:
    """The REST pair: submit the item on screen, then lease the next, through the desk."""
    item = studio.desk.next_item(name, SESSION)

    def submit() -> None:
        nonlocal item
        studio.desk.submit(name, SESSION, item.comparison.id, "left", swapped=item.swapped)
        item = studio.desk.next_item(name, SESSION)

    return submit


def _statement_log(studio: Any) -> None:
    """Print the statements of one UI submit (after two warm-up submits) to stderr, with BEGIN/COMMIT."""
    from sqlalchemy import event

    studio.store.create_annotator("logged", password="logged-pass-1")
    submit = _ui_submit(studio, "logged")
    submit()
    submit()
    lines: list[str] = []
    engine = studio.store.engine
    handlers = {
        "before_cursor_execute": lambda _c, _cur, stmt, *_a: lines.append("  " + " ".join(stmt.split())[:200]),
        "begin": lambda _c: lines.append("BEGIN"),
        "commit": lambda _c: lines.append("COMMIT"),
    }
    for name, handler in handlers.items():
        event.listen(engine, name, handler)
    submit()
    for name, handler in handlers.items():
        event.remove(engine, name, handler)
    statements = sum(line.startswith("  ") for line in lines)
    print(f"one UI submit: {statements} statements\n" + "\n".join(lines), file=sys.stderr)


def measure(tree: Path, submits: int, profile: bool, statements: bool = False) -> dict[str, Any]:
    """Run in the child process of ``tree``."""
    sys.path.insert(0, str(tree))
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from orchestration import Settings, Studio

    studio = Studio.open(Settings(home=Path(tempfile.mkdtemp(prefix="judge-studio-profile-"))))
    studio.store.save_session(SESSION, "judge-studio-demo", overlap=50, gold_rate=0.1)
    counts = _counting(studio.store.engine)
    out: dict[str, Any] = {}
    for path, make in (("ui", _ui_submit), ("rest", _rest_submit)):
        name = f"{path}-annotator"
        studio.store.create_annotator(name, password=f"{name}-pass-1")
        submit = make(studio, name)
        submit()  # warm up
        before, times = dict(counts), []
        for _ in range(submits):
            started = time.perf_counter()
            submit()
            times.append(time.perf_counter() - started)
        out[path] = {
            "median_ms": round(statistics.median(times) * 1000, 2),
            "statements_per_submit": round((counts["statements"] - before["statements"]) / submits, 1),
            "transactions_per_submit": round((counts["begins"] - before["begins"]) / submits, 1),
        }
    if statements:
        _statement_log(studio)
    if profile:
        from pyinstrument import Profiler

        studio.store.create_annotator("profiled", password="profiled-pass-1")
        submit = _ui_submit(studio, "profiled")
        with Profiler(interval=0.0005) as profiler:
            for _ in range(submits):
                submit()
        print(profiler.output_text(unicode=True, show_all=False), file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--submits", type=int, default=40)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--statements", action="store_true", help="print the SQL of one UI submit")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.submits, args.profile, args.statements)))
        return
    results = {"load_before": [round(x, 2) for x in os.getloadavg()]}
    for label, tree in ([("baseline", args.baseline)] if args.baseline else []) + [("this tree", ROOT)]:
        command = [sys.executable, str(Path(__file__).resolve()), "--measure", str(tree.resolve())]
        command += ["--submits", str(args.submits)] + (["--profile"] if args.profile else [])
        command += ["--statements"] if args.statements else []
        done = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=True)
        sys.stderr.write(f"--- {label}\n" + done.stderr[-20000:] if args.profile or args.statements else "")
        results[label] = json.loads(done.stdout.strip().splitlines()[-1])
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
