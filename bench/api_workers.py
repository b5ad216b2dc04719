"""Does the REST API scale with worker processes? ``judge-studio serve-api --workers N`` on PostgreSQL
(and one worker on SQLite for reference), measured in one run on this machine.

For each configuration: a fresh database seeded with the demo data and a session of overlap 50, one
account and API token per simulated annotator, then the real command in a subprocess, then the loads of
``bench/annotation_latency.py``'s REST path (``POST /labels`` then ``POST /sessions/{name}/next``, timed
together): N annotators back to back (saturation: submits/s) and N annotators reading ``--think``
seconds per item (p50/p95 of submit → next). PostgreSQL is a throw-away cluster from Debian's package
(``tests/postgres.py``; as root it runs as an unprivileged user), fsync off like the tests.

    .venv/bin/python bench/api_workers.py [--annotators 50] [--submits 10] [--think 5] [--workers 1,2]
        [--api-threads 40,8,4] [--sessions 1,4] [--cores 1,2] [--saturation-only]

``--sessions S`` spreads the annotators round-robin over S sessions on the demo dataset (a team running
an expert and a crowd session, or one per dataset): on PostgreSQL each session has its own write lock
(``annotation_store/db.py``), so sessions write side by side. ``--cores C`` pins the whole bench (the
clients, PostgreSQL and the server's processes) to the first C cores for each configuration, so that
one run says how submits/s grow with the cores given.

The clients run in this process's threads on the same cores as the server: on a 2-core machine the
ratio between worker counts is the figure to read, not the absolute rate. So that a machine with few
cores still says what more cores would give, each back-to-back load also reports the CPU seconds per
submit of the server's processes, of PostgreSQL's and of the clients (``psutil``), and one more
measurement times the write transactions of a submit on PostgreSQL in one process, one client at a
time (on SQLite, where one writer at a time holds the whole database, ``1000 / that`` would bound
submits/s; on PostgreSQL a submit locks only its person and item, ``annotation_store/db.py``).
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
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

from annotation_latency import SESSION, rest_annotator, run_annotators  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def session_names(count: int) -> list[str]:
    return [SESSION] + [f"{SESSION} {n}" for n in range(2, count + 1)]


def seed(home: Path, database_url: str, names: list[str], sessions: int = 1) -> dict[str, str]:
    """Demo data, the bench sessions and one token per annotator, written before the server starts."""
    from orchestration import Settings, Studio

    studio = Studio.open(Settings(home=home, database_url=database_url))
    for session in session_names(sessions):
        studio.store.save_session(session, "judge-studio-demo", overlap=50, gold_rate=0.1)
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
    # the tree this bench is in (a baseline's copy too), not the installed one; carried wheels stay on the path
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    if threads is not None:
        env["JUDGE_STUDIO_API_THREADS"] = str(threads)
    installed = ROOT / ".venv/bin/judge-studio"
    program = [str(installed)] if installed.exists() else [sys.executable, str(ROOT / "app.py")]
    command = [*program, "serve-api", "--workers", str(workers), "--port", str(port)]
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
    client_before = sum(os.times()[:4])  # children too: the client processes, once joined
    result = run()
    used = {"clients": sum(os.times()[:4]) - client_before}
    for name, pids in groups.items():
        after = _cpu(_processes(pids))
        used[name] = sum(after[pid] - before[name].get(pid, 0.0) for pid in after)
    submits = max(1, int(result.get("n", 0)))
    return result, {name: round(seconds * 1000 / submits, 1) for name, seconds in used.items()}


def postmaster_pid(server: Any) -> int | None:
    path = Path(server.data) / "postmaster.pid"
    return int(path.read_text().split()[0]) if path.exists() else None


class LockWaits:
    """Samples PostgreSQL's ``pg_stat_activity`` every 20 ms while the load runs: the share of the
    bench database's backends in a transaction (running a statement or waiting for the app's next one)
    that were waiting for a lock, which says whether locks or the cores limit throughput."""

    def __init__(self, database_url: str) -> None:
        self.url, self.waiting, self.busy = database_url.replace("+psycopg", ""), 0, 0
        self.stop = False

    def sample(self) -> None:
        import psycopg

        query = (
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
        )
        with psycopg.connect(self.url, autocommit=True) as connection:
            while not self.stop:
                rows = connection.execute(query).fetchall()
                self.busy += len(rows)
                self.waiting += sum(1 for (locked,) in rows if locked)
                time.sleep(0.02)

    def around(self, run: Any) -> Any:
        import threading

        thread = threading.Thread(target=self.sample, daemon=True)
        thread.start()
        try:
            return run()
        finally:
            self.stop = True
            thread.join(timeout=10)

    def share(self) -> float | None:
        return round(100 * self.waiting / self.busy, 1) if self.busy else None


def lock_held_per_submit(database_url: str, submits: int = 100) -> dict[str, float]:
    """In this process, one annotator at a time: ms inside write transactions per submit of the REST path
    (``POST /labels`` + ``POST /sessions/{name}/next``)."""
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
    return {"ms_in_write_transactions_per_submit": round(ms, 2), "ms_per_submit": round(wall * 1000 / submits, 2)}


def pin(cores: int | None, pids: list[int]) -> None:
    """Run this process (its threads started from now on: the clients) and the process trees ``pids`` on
    the first ``cores`` cores (None: all of them)."""
    import psutil

    cpus = sorted(os.sched_getaffinity(0) | set(range(os.cpu_count() or 1)))
    chosen = cpus[:cores] if cores else cpus
    os.sched_setaffinity(0, chosen)
    for process in _processes([pid for pid in pids if pid]):
        try:
            process.cpu_affinity(chosen)
        except psutil.Error:
            continue


def _client_group(
    url: str,
    who: list[tuple[str, str]],
    session_of: dict[str, str],
    submits: int,
    think: float,
    gate: Any,
    results: Any,
) -> None:
    """One client process: its annotators in threads, started when every process is ready (``gate``)."""

    def client(base: str, name: str, token: str) -> Any:
        return rest_annotator(base, name, token, session_of[name])

    results.put(run_annotators(client, url, who, submits, think, gate=gate.wait))


def run_clients(
    url: str, who: list[tuple[str, str]], session_of: dict[str, str], submits: int, think: float, processes: int
) -> dict[str, Any]:
    """The annotators in ``processes`` client processes (threads of one Python process share one GIL, and
    on a machine with many cores one client process caps submits/s before the server does). Their CPU
    counts as the clients' (``os.times`` includes waited-for children)."""
    import multiprocessing

    from annotation_latency import percentiles

    if processes <= 1:
        return run_clients_here(url, who, session_of, submits, think)
    context = multiprocessing.get_context("fork")  # before any thread of this load starts
    gate, queue = context.Barrier(processes + 1), context.Queue()
    groups = [who[n::processes] for n in range(processes)]
    children = [
        context.Process(target=_client_group, args=(url, group, session_of, submits, think, gate, queue))
        for group in groups
    ]
    for child in children:
        child.start()
    gate.wait()
    started = time.perf_counter()
    parts = [queue.get(timeout=1800) for _ in children]
    seconds = time.perf_counter() - started
    for child in children:
        child.join(timeout=60)
    times = [t for part in parts for t in part["times"]]
    errors = [e for part in parts for e in part.get("errors", [])]
    merged = {**percentiles(times), "submits_per_s": round(len(times) / seconds, 1), "client_processes": processes}
    return merged | ({"errors": errors[:5], "n_errors": sum(p.get("n_errors", 0) for p in parts)} if errors else {})


def run_clients_here(
    url: str, who: list[tuple[str, str]], session_of: dict[str, str], submits: int, think: float
) -> dict[str, Any]:
    def client(base: str, name: str, token: str) -> Any:
        return rest_annotator(base, name, token, session_of[name])

    result = run_annotators(client, url, who, submits, think)
    result.pop("times")
    return result


def measure(label: str, database_url: str, config: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """One configuration (``workers``, ``sessions``, ``cores``, ``threads``, ``db_pid``): a fresh
    database, the real ``serve-api``, then the loads."""
    workers, sessions = config["workers"], config["sessions"]
    home = Path(tempfile.mkdtemp(prefix="judge-studio-api-bench-"))
    loads = {"back to back": 0.0} | ({} if args.saturation_only else {f"reading ~{args.think:g} s": args.think})
    names = [f"w{workers}-{i}-{n:02d}" for i in range(len(loads)) for n in range(args.annotators)]
    tokens = seed(home, database_url, names, sessions)
    session_of = {name: session_names(sessions)[n % sessions] for n, name in enumerate(names)}
    pin(config.get("cores"), [config.get("db_pid") or 0])
    port = free_port()
    process = start(home, database_url, workers, port, config.get("threads"))
    pin(config.get("cores"), [process.pid])
    results: dict[str, Any] = {"load_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        for index, (load, think) in enumerate(loads.items()):
            who = [(name, tokens[name]) for name in names if name.startswith(f"w{workers}-{index}-")]
            db_pid = config.get("db_pid")
            groups = {"server": [process.pid]} | ({"PostgreSQL": [db_pid]} if db_pid else {})

            def run(who: list[tuple[str, str]] = who, think: float = think) -> dict[str, Any]:
                url = f"http://127.0.0.1:{port}/"
                return run_clients(url, who, session_of, args.submits, think, args.client_processes)

            waits = LockWaits(database_url) if database_url and think == 0.0 else None
            workers_before = _cpu(_processes([process.pid])[1:])
            results[load], cpu = cpu_per_submit(groups, partial(waits.around, run) if waits else run)
            workers_after = _cpu(_processes([process.pid])[1:])
            # how evenly the workers shared the load (keep-alive connections stay with the worker that took them)
            results[load]["worker_cpu_s"] = sorted(
                (round(workers_after[pid] - workers_before.get(pid, 0.0), 1) for pid in workers_after), reverse=True
            )
            if think == 0.0:
                results[load]["cpu_ms_per_submit"] = cpu
                results[load]["cores_busy"] = round(sum(cpu.values()) * results[load]["submits_per_s"] / 1000, 2)
            if waits is not None:
                results[load]["pct_in_transaction_waiting_for_a_lock"] = waits.share()
            print(label, load, results[load], file=sys.stderr, flush=True)
    finally:
        process.terminate()
        process.wait(timeout=60)
        pin(None, [config.get("db_pid") or 0])
    return results


def _numbers(text: str) -> list[int | None]:
    return [int(t) for t in text.split(",") if t] or [None]


def configurations(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every (database, cores, workers, sessions, api_threads) to measure, SQLite first (1 worker); with
    ``--pairs`` only those (cores, workers) on PostgreSQL."""
    if args.pairs:
        return [
            {"db": "PostgreSQL", "workers": int(w), "sessions": sessions or 1, "cores": int(c), "threads": threads}
            for c, w in (pair.split(":") for pair in args.pairs.split(","))
            for threads in _numbers(args.api_threads)
            for sessions in _numbers(args.sessions)
        ]
    found = []
    for cores in _numbers(args.cores):
        for threads in _numbers(args.api_threads):
            for sessions in _numbers(args.sessions):
                found.append(
                    {"db": "SQLite", "workers": 1, "sessions": sessions or 1, "cores": cores, "threads": threads}
                )
                found += [
                    {"db": "PostgreSQL", "workers": w, "sessions": sessions or 1, "cores": cores, "threads": threads}
                    for w in _numbers(args.workers)
                    if w is not None and (cores is None or w <= cores)
                ]
    return found


def config_label(config: dict[str, Any]) -> str:
    parts = [config["db"], f"{config['workers']} worker(s)", f"{config['sessions']} session(s)"]
    parts += [f"{config['cores']} core(s)"] if config["cores"] else []
    parts += [f"{config['threads']} threads"] if config["threads"] else []
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--submits", type=int, default=10, help="submits per annotator and load")
    parser.add_argument("--think", type=float, default=5.0, help="mean reading time per item, seconds")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure on PostgreSQL")
    parser.add_argument(
        "--api-threads", default="", help="api_threads values to compare (e.g. 40,8,4); default: the setting's"
    )
    parser.add_argument("--sessions", default="1", help="session counts to spread the annotators over (e.g. 1,4)")
    parser.add_argument("--cores", default="", help="core counts to pin the whole bench to (e.g. 1,2); default: all")
    parser.add_argument(
        "--pairs", default="", help="CORES:WORKERS list on PostgreSQL instead of --cores x --workers (e.g. 2:2,4:4,8:8)"
    )
    parser.add_argument(
        "--client-processes", type=int, default=1, help="spread the annotators over this many client processes"
    )
    parser.add_argument(
        "--lock", action=argparse.BooleanOptionalAction, default=True, help="time one client's write transactions"
    )
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True, help="measure SQLite too")
    parser.add_argument("--saturation-only", action="store_true", help="only the back-to-back load")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    from postgres import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    results: dict[str, Any] = {}
    server = PostgresServer(bin_dir)
    server.start()
    try:
        for n, config in enumerate(c for c in configurations(args) if args.sqlite or c["db"] != "SQLite"):
            label = config_label(config)
            url = server.create_database(f"bench_{n}") if config["db"] == "PostgreSQL" else ""
            config["db_pid"] = postmaster_pid(server) if url else None
            results[label] = measure(label, url, config, args)
        if args.lock:
            results["PostgreSQL, one client"] = lock_held_per_submit(server.create_database("bench_lock"))
            print("lock", results["PostgreSQL, one client"], file=sys.stderr, flush=True)
    finally:
        server.stop()
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
