"""How long the next comparison takes to appear after a submit, and how many submits per second the
server takes, through the UI (Gradio clients) and through REST, for this tree and a baseline tree.

Each tree runs the real app (``web.server.create_app``: FastAPI + Gradio behind its login, uvicorn) in
a server process of its own over a fresh SQLite database seeded with the demo data, so a baseline
(``--baseline DIR``, e.g. ``git archive <commit> | tar -x -C DIR``) and this tree are measured in one
run on the same machine. Loads, per tree and per path (``ui``: a ``gradio_client.Client`` per
annotator, one ``/submit_label`` call returns the next comparison, so its duration is "submit → next
comparison on screen" minus the browser's rendering; ``rest``: ``POST /labels`` then ``POST
/sessions/{name}/next`` with a token per annotator, timed together):

- ``1 back to back``: one annotator submitting as fast as the server answers;
- ``N back to back``: N annotators submitting as fast as the server answers (saturation: submits/s);
- ``N thinking``: N annotators each reading an item for ``--think`` seconds (0.5x-1.5x) before
  submitting, which is what a session of N people looks like (p50/p95 of submit → next).

    .venv/bin/python bench/annotation_latency.py [--annotators 20] [--submits 15] [--think 5]
        [--baseline ../old-tree] [--paths ui,rest] [--json out.json]

The machine's load (``os.getloadavg``) before and after each tree is part of the output: the numbers
only compare within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SESSION = "latency bench"  # overlap 50: the demo session (overlap 3) would run out of items
CHOICES = ("left", "right", "tie")


# ---------------------------------------------------------------------- the server process
def serve(tree: Path, home: Path, port: int, names: list[str]) -> None:
    """Run in a child process: the app of ``tree`` on ``port``; prints one JSON line of tokens when up."""
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import uvicorn

    from orchestration import Settings, Studio
    from web.server import create_app

    studio = Studio.open(Settings(home=home))
    studio.store.save_session(SESSION, "judge-studio-demo", overlap=50, gold_rate=0.1)
    tokens = {}
    for name in names:
        studio.store.create_annotator(name, password=f"{name}-pass-1")
        tokens[name] = studio.access.api_token(name)
    server = uvicorn.Server(uvicorn.Config(create_app(studio), host="127.0.0.1", port=port, log_level="warning"))

    def announce() -> None:
        _wait_started(server)
        print(json.dumps(tokens), flush=True)

    threading.Thread(target=announce, daemon=True).start()
    server.run()


def _wait_started(server: Any) -> None:
    while not server.started:
        time.sleep(0.05)


def start_server(tree: Path, port: int, names: list[str]) -> tuple[subprocess.Popen[str], dict[str, str]]:
    home = Path(tempfile.mkdtemp(prefix="judge-studio-bench-"))
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--serve",
        str(tree),
        "--home",
        str(home),
        "--port",
        str(port),
    ]
    process = subprocess.Popen([*command, "--names", ",".join(names)], stdout=subprocess.PIPE, text=True, cwd=tree)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"the server of {tree} did not start")
    return process, json.loads(line)


# ---------------------------------------------------------------------- annotators
def ui_annotator(url: str, name: str, _token: str) -> Callable[[int], None]:
    """A logged-in browser tab, as far as the server can tell: one keep-alive connection with the login
    cookie, the page's config read once, and each submit sent through Gradio's queue protocol the way
    the page's JavaScript sends it (``POST queue/join``, then the ``queue/data`` event stream until the
    event completes; state inputs go as null, the server holds them). The returned function submits
    answer ``i``; the event's output is the next comparison.

    Why not ``gradio_client``: it opens a new connection (and TLS context) per request and runs a
    reader thread per client, ~50 ms of CPU per submit on the client side, so on a 2-core machine the
    load generator, not the server, set the ceiling (see ``ui-gradio-client``).
    """
    import uuid

    import httpx

    client = httpx.Client(base_url=url, timeout=120)
    client.post("login", data={"username": name, "password": f"{name}-pass-1"}).raise_for_status()
    config = client.get("config").raise_for_status().json()
    prefix = config.get("api_prefix", "/gradio_api").strip("/")
    states = {c["id"] for c in config["components"] if c.get("type") == "state"}
    by_name = {d.get("api_name"): d for d in config["dependencies"]}
    session_hash = uuid.uuid4().hex

    def call(api_name: str, *values: Any) -> list[Any]:
        dependency, given = by_name[api_name], iter(values)
        data = [None if i in states else next(given) for i in dependency["inputs"]]
        body = {"data": data, "fn_index": dependency["id"], "session_hash": session_hash, "trigger_id": None}
        event_id = client.post(f"{prefix}/queue/join", json=body).raise_for_status().json()["event_id"]
        with client.stream("GET", f"{prefix}/queue/data", params={"session_hash": session_hash}) as stream:
            for line in stream.iter_lines():
                message = json.loads(line[5:]) if line.startswith("data:") else {}
                if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                    if not message.get("success"):
                        raise RuntimeError(f"{api_name}: {message.get('output')}")
                    return list(message["output"]["data"])
        raise RuntimeError(f"{api_name}: the event stream closed before the event completed")

    call("next_item", SESSION)

    def submit(i: int) -> None:
        call("submit_label", SESSION, CHOICES[i % 3], 0, False, "")

    return submit


def gradio_client_annotator(url: str, name: str, _token: str) -> Callable[[int], None]:
    """The same submit through ``gradio_client.Client`` (the figure earlier sessions reported)."""
    from gradio_client import Client

    client = Client(url, auth=(name, f"{name}-pass-1"), verbose=False)
    client.predict(SESSION, api_name="/next_item")

    def submit(i: int) -> None:
        client.predict(SESSION, CHOICES[i % 3], 0, False, "", api_name="/submit_label")

    return submit


def rest_annotator(url: str, _name: str, token: str, session: str = SESSION) -> Callable[[int], None]:
    """A REST client with a token; the returned function submits the item on screen, then leases the next."""
    import httpx

    client = httpx.Client(base_url=url + "api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=120)
    shown = client.post(f"/sessions/{session}/next").json()["item"]

    def submit(i: int) -> None:
        nonlocal shown
        body = {"session": session, "comparison_id": shown["comparison_id"], "choice": CHOICES[i % 3]}
        client.post("/labels", json=body).raise_for_status()
        shown = client.post(f"/sessions/{session}/next").json()["item"]

    return submit


def run_annotators(
    make: Callable[..., Callable[[int], None]],
    url: str,
    who: list[tuple[str, str]],
    submits: int,
    think: float,
    gate: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Everyone logs in first, then all start together; returns latency percentiles and submits/s (and the
    latencies themselves, ``times``). ``gate`` runs once everyone here is ready, before they start: client
    processes wait there for each other (``bench/api_workers.py --client-processes``)."""
    times: list[float] = []
    errors: list[str] = []
    ready = threading.Barrier(len(who) + 1)
    go = threading.Barrier(len(who) + 1)

    def work(name: str, token: str) -> None:
        rng = random.Random(name)
        submit: Callable[[int], None] | None
        try:
            submit = make(url, name, token)
        except Exception as exc:  # reported in the table, never hidden
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            submit = None
        ready.wait()
        go.wait()
        for i in range(submits if submit is not None else 0):
            assert submit is not None
            time.sleep(think * rng.uniform(0.5, 1.5))  # reading the item
            started = time.perf_counter()
            try:
                submit(i)
            except Exception as exc:
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
                return
            times.append(time.perf_counter() - started)

    threads = [threading.Thread(target=work, args=pair, daemon=True) for pair in who]
    for thread in threads:
        thread.start()
    ready.wait()
    if gate is not None:
        gate()
    go.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=1800)
    seconds = time.perf_counter() - started
    return {**percentiles(times), "submits_per_s": round(len(times) / seconds, 1), "times": times} | (
        {"errors": errors[:5], "n_errors": len(errors)} if errors else {}
    )


CLIENTS = {"ui": ui_annotator, "ui-gradio-client": gradio_client_annotator, "rest": rest_annotator}


def percentiles(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


# ---------------------------------------------------------------------- one tree
def measure_tree(tree: Path, port: int, args: argparse.Namespace) -> dict[str, Any]:
    n, paths = args.annotators, args.paths.split(",")
    loads = {"1 back to back": (1, 0.0), f"{n} back to back": (n, 0.0), f"{n} thinking": (n, args.think)}
    names = [f"{path}-{load}-{i:02d}" for path in paths for load in range(len(loads)) for i in range(n)]
    process, tokens = start_server(tree, port, names)
    url = f"http://127.0.0.1:{port}/"
    results: dict[str, Any] = {"load_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        for path in paths:
            make = CLIENTS[path]
            for index, (load, (count, think)) in enumerate(loads.items()):
                who = [(f"{path}-{index}-{i:02d}", tokens[f"{path}-{index}-{i:02d}"]) for i in range(count)]
                results[f"{path}: {load}"] = run_annotators(make, url, who, args.submits, think)
                results[f"{path}: {load}"].pop("times")
                print(tree.name, path, load, results[f"{path}: {load}"], file=sys.stderr, flush=True)
    finally:
        process.terminate()
        process.wait(timeout=60)
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    return results


def table(results: dict[str, dict[str, Any]]) -> str:
    trees = list(results)
    rows = [key for key in results[trees[0]] if not key.startswith("load")]
    lines = ["| load | " + " | ".join(f"{t}: p50 / p95 ms, submits/s" for t in trees) + " |"]
    lines.append("|---" * (len(trees) + 1) + "|")
    for row in rows:
        cells = [results[t].get(row, {}) for t in trees]
        shown = [f"{c.get('p50_ms', '-')} / {c.get('p95_ms', '-')}, {c.get('submits_per_s', '-')}" for c in cells]
        lines.append(f"| {row} | " + " | ".join(shown) + " |")
    lines += [
        f"load average (1, 5, 15 min) {t}: {results[t]['load_before']} → {results[t]['load_after']}" for t in trees
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--submits", type=int, default=15, help="submits per annotator and load")
    parser.add_argument(
        "--think", type=float, default=5.0, help="mean reading seconds (0.5x-1.5x) in the thinking load"
    )
    parser.add_argument("--baseline", type=Path, help="another tree of this project to measure in the same run")
    parser.add_argument("--paths", default="ui,rest", help="ui, rest or both (comma-separated)")
    parser.add_argument("--port", type=int, default=7893)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--names", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.home, args.port, args.names.split(","))
        return
    trees = ([("baseline", args.baseline)] if args.baseline else []) + [("this tree", ROOT)]
    results = {"cpu_count": os.cpu_count(), "annotators": args.annotators, "think_s": args.think}
    measured = {label: measure_tree(tree.resolve(), args.port + i, args) for i, (label, tree) in enumerate(trees)}
    print(json.dumps({**results, **measured}, indent=2))
    print(table(measured))
    if args.json:
        args.json.write_text(json.dumps({**results, **measured}, indent=2))


if __name__ == "__main__":
    main()
