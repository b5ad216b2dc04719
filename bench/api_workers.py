"""Does the REST API scale with worker processes? ``judge-studio serve-api --workers N`` on PostgreSQL
(and one worker on SQLite for reference), measured in one run on this machine.

For each configuration: a fresh database seeded with the demo data and a session of overlap 50, one
account and API token per simulated annotator, then the real command in a subprocess, then the loads of
``bench/annotation_latency.py``'s REST path (``POST /labels`` then ``POST /sessions/{name}/next``, timed
together): N annotators back to back (saturation: submits/s) and N annotators reading ``--think``
seconds per item (p50/p95 of submit → next). PostgreSQL is a throw-away cluster from Debian's package
(``tests/postgres.py``; as root it runs as an unprivileged user), fsync off like the tests.

    .venv/bin/python bench/api_workers.py [--annotators 50] [--submits 10] [--think 5] [--workers 1,2]
        [--api-threads 40,8,4]

The clients run in this process's threads on the same cores as the server: on a 2-core machine the
ratio between worker counts is the figure to read, not the absolute rate. So that a machine with few
cores still says what more cores would give, each back-to-back load also reports the CPU seconds per
submit of the server's processes, of PostgreSQL's and of the clients (``psutil``), and one more
measurement times the write transactions of a submit on PostgreSQL in one process, one client at a
time: every write transaction holds one database-wide lock (``annotation_store/db.py``), so
``1000 / (ms under the lock per submit)`` bounds submits/s whatever the number of workers and cores.
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


def start(
    home: Path, database_url: str, workers: int, port: int, threads: int | None = None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home), "JUDGE_STUDIO_DATABASE_URL": database_url}
    if threads is not None:
        env["JUDGE_STUDIO_API_THREADS"] = str(threads)
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


def _processes(root_pids: list[int]) -> list[Any]:
    import psutil

    found = []
    for pid in root_pids:
        try:
            parent = psutil.Process(pid)
            found += [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    return found


def _cpu(processes: list[Any]) -> dict[int, float]:
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
            seconds[process.pid] = times.user + times.system
        except Exception:  # a process that ended (a closed connection's PostgreSQL backend)
            continue
    return seconds


def cpu_per_submit(groups: dict[str, list[int]], run: Any) -> tuple[Any, dict[str, float]]:
    """Run ``run()`` and return its result and the CPU ms per submit of each group of process trees
    (processes that appear during the run count whole; this process is the clients)."""
    before = {name: _cpu(_processes(pids)) for name, pids in groups.items()}
    client_before = sum(os.times()[:2])
    result = run()
    used = {"clients": sum(os.times()[:2]) - client_before}
    for name, pids in groups.items():
        after = _cpu(_processes(pids))
        used[name] = sum(after[pid] - before[name].get(pid, 0.0) for pid in after)
    submits = max(1, int(result.get("n", 0)))
    return result, {name: round(seconds * 1000 / submits, 1) for name, seconds in used.items()}


def postmaster_pid(server: Any) -> int | None:
    path = Path(server.data) / "postmaster.pid"
    return int(path.read_text().split()[0]) if path.exists() else None


def lock_held_per_submit(database_url: str, submits: int = 100) -> dict[str, float]:
    """In this process, one annotator at a time: ms inside write transactions (which hold the database's
    write lock) per submit of the REST path (``POST /labels`` + ``POST /sessions/{name}/next``)."""
    from sqlalchemy import event

    from orchestration import Settings, Studio

    studio = Studio.open(Settings(home=Path(tempfile.mkdtemp(prefix="judge-studio-lock-")), database_url=database_url))
    studio.store.save_session(SESSION, "judge-studio-demo", overlap=50, gold_rate=0.1)
    held = {"s": 0.0, "opened": 0.0}

    @event.listens_for(studio.store.engine, "begin")
    def _opened(connection: Any) -> None:  # after the lock: the store's own hook ran first
        if connection.get_execution_options().get("judge_studio_write", False):
            held["opened"] = time.perf_counter()

    @event.listens_for(studio.store.engine, "commit")
    def _closed(connection: Any) -> None:
        if connection.get_execution_options().get("judge_studio_write", False):
            held["s"] += time.perf_counter() - held["opened"]

    names = [f"lock-{i:03d}" for i in range(submits)]
    for name in names:
        studio.store.create_annotator(name, password=f"{name}-pass-1")
    held["s"], started = 0.0, time.perf_counter()
    for name in names:  # a new annotator each time: every submit leases and answers a fresh item
        item = studio.desk.next_item(name, SESSION)
        assert item is not None, "the bench session ran out of items"
        studio.desk.submit(name, SESSION, item.comparison.id, "left", swapped=item.swapped)
    wall = time.perf_counter() - started
    studio.store.engine.dispose()
    ms = held["s"] * 1000 / submits
    return {
        "ms_under_lock_per_submit": round(ms, 2),
        "bound_submits_per_s": round(1000 / ms, 1),
        "ms_per_submit": round(wall * 1000 / submits, 2),
    }


def measure(
    label: str,
    database_url: str,
    workers: int,
    args: argparse.Namespace,
    db_pid: int | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="judge-studio-api-bench-"))
    loads = {"back to back": 0.0, f"reading ~{args.think:g} s": args.think}
    names = [f"w{workers}-{i}-{n:02d}" for i in range(len(loads)) for n in range(args.annotators)]
    tokens = seed(home, database_url, names)
    port = free_port()
    process = start(home, database_url, workers, port, threads)
    results: dict[str, Any] = {"load_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        for index, (load, think) in enumerate(loads.items()):
            who = [(name, tokens[name]) for name in names if name.startswith(f"w{workers}-{index}-")]
            groups = {"server": [process.pid]} | ({"PostgreSQL": [db_pid]} if db_pid else {})

            def run(who: list[tuple[str, str]] = who, think: float = think) -> dict[str, Any]:
                return run_annotators(rest_annotator, f"http://127.0.0.1:{port}/", who, args.submits, think)

            results[load], cpu = cpu_per_submit(groups, run)
            if think == 0.0:
                results[load]["cpu_ms_per_submit"] = cpu
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
    parser.add_argument(
        "--api-threads", default="", help="api_threads values to compare (e.g. 40,8,4); default: the setting's"
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    from postgres import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    results: dict[str, Any] = {}
    thread_counts: list[int | None] = [int(t) for t in args.api_threads.split(",") if t] or [None]
    for threads in thread_counts:
        suffix = f", {threads} threads" if threads is not None else ""
        results[f"SQLite, 1 worker{suffix}"] = measure(f"sqlite-1{suffix}", "", 1, args, None, threads)
    server = PostgresServer(bin_dir)
    server.start()
    try:
        for workers in (int(w) for w in args.workers.split(",")):
            for threads in thread_counts:
                suffix = f", {threads} threads" if threads is not None else ""
                url = server.create_database(f"bench_w{workers}_t{threads or 0}")
                pid = postmaster_pid(server)
                label = f"PostgreSQL, {workers} worker(s){suffix}"
                results[label] = measure(f"pg-{workers}{suffix}", url, workers, args, pid, threads)
        results["PostgreSQL, write lock"] = lock_held_per_submit(server.create_database("bench_lock"))
        print("lock", results["PostgreSQL, write lock"], file=sys.stderr, flush=True)
    finally:
        server.stop()
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
