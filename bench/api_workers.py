"""Does the REST API scale with worker processes? ``judge-studio serve-api --workers N`` on PostgreSQL
(and one worker on SQLite for reference), measured in one run on this machine.

For each configuration: a fresh database seeded with the demo data and a session of overlap 50, one
account and API token per simulated annotator, then the real command in a subprocess, then the loads of
``bench/annotation_latency.py``'s REST path (``POST /labels`` then ``POST /sessions/{name}/next``, timed
together): N annotators back to back (saturation: submits/s) and N annotators reading ``--think``
seconds per item (p50/p95 of submit → next). PostgreSQL is a throw-away cluster from Debian's package
(``tests/postgres.py``; as root it runs as an unprivileged user), fsync off like the tests.

    .venv/bin/python bench/api_workers.py [--annotators 50] [--submits 10] [--think 5] [--workers 1,2]

The clients run in this process's threads on the same cores as the server: on a 2-core machine the
ratio between worker counts is the figure to read, not the absolute rate.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

from annotation_latency import SESSION, rest_annotator, run_annotators  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(home: Path, database_url: str, names: list[str]) -> dict[str, str]:
    """Demo data, the bench session and one token per annotator, written before the server starts."""
    from orchestration import Settings, Studio

    studio = Studio.open(Settings(home=home, database_url=database_url))
    studio.store.save_session(SESSION, "judge-studio-demo", overlap=50, gold_rate=0.1)
    tokens = {}
    for name in names:
        studio.store.create_annotator(name, password=f"{name}-pass-1")
        tokens[name] = studio.access.api_token(name)
    studio.store.engine.dispose()
    return tokens


def start(home: Path, database_url: str, workers: int, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home), "JUDGE_STUDIO_DATABASE_URL": database_url}
    command = [str(ROOT / ".venv/bin/judge-studio"), "serve-api", "--workers", str(workers), "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2).status_code == 200:
                time.sleep(1.0 * workers)  # every worker up, not only the first
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("serve-api did not start")


def measure(label: str, database_url: str, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="judge-studio-api-bench-"))
    loads = {"back to back": 0.0, f"reading ~{args.think:g} s": args.think}
    names = [f"w{workers}-{i}-{n:02d}" for i in range(len(loads)) for n in range(args.annotators)]
    tokens = seed(home, database_url, names)
    port = free_port()
    process = start(home, database_url, workers, port)
    results: dict[str, Any] = {"load_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        for index, (load, think) in enumerate(loads.items()):
            who = [(name, tokens[name]) for name in names if name.startswith(f"w{workers}-{index}-")]
            results[load] = run_annotators(rest_annotator, f"http://127.0.0.1:{port}/", who, args.submits, think)
            print(label, load, results[load], file=sys.stderr, flush=True)
    finally:
        process.terminate()
        process.wait(timeout=60)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--submits", type=int, default=10, help="submits per annotator and load")
    parser.add_argument("--think", type=float, default=5.0, help="mean reading time per item, seconds")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure on PostgreSQL")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    from postgres import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    results: dict[str, Any] = {}
    results["SQLite, 1 worker"] = measure("sqlite-1", "", 1, args)  # "": the file in the run's home folder
    server = PostgresServer(bin_dir)
    server.start()
    try:
        for workers in (int(w) for w in args.workers.split(",")):
            url = server.create_database(f"bench_w{workers}")
            results[f"PostgreSQL, {workers} worker(s)"] = measure(f"pg-{workers}", url, workers, args)
    finally:
        server.stop()
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
