"""Dozens of concurrent label writers on the same comparisons: nothing lost, nothing duplicated.

32 threads share one Store (as the app's request threads do) and 8 processes each open their own
Store on the same SQLite file. They all write to the same few (comparison, annotator) pairs at once:
first writes that race each other, verdict changes, retries with the same idempotency key, the same
submit sent by every writer, and invalid submits. Afterwards the database itself must show exactly
one label per (comparison, annotator), an event log with one event per accepted change (versions
1..n without gaps) that matches every answer a caller received, and nothing from the rejected
submits; and no caller may have seen anything but a clean answer or a clear ``StoreError``.

The workload and the checks are shared with ``test_store_postgres.py``, which runs them (and the
narrowest race, many simultaneous first writes of one label) on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from annotation_store import Store, StoreError, open_store
from annotation_store.db import WRITE

VERDICTS = ("1", "2", "tie")
COMPARISONS = (1, 2, 3, 4, 5)
ANNOTATORS = ("ann-0", "ann-1", "ann-2")  # shared by every writer: first writes and changes collide
DUP_GROUPS = 6  # every writer sends each of these exact submits (same key): each must be stored once
UNKNOWN_COMPARISON = 99_999
INVALID = (
    # (comparison, annotator, verdict, part of the expected StoreError message)
    (1, "ann-0", "A", "is not one of"),
    (UNKNOWN_COMPARISON, "ann-1", "1", f"no comparison with id {UNKNOWN_COMPARISON}"),
    (2, "   ", "2", "annotator name"),
)


@dataclass
class Outcome:
    """What one writer's callers saw. Plain tuples, so a process can send it back through a queue."""

    writer: str
    accepted: list[tuple[str, int, str, str, int]] = field(default_factory=list)  # key, comparison, who, verdict, v
    duplicates: list[tuple[int, int, str, str, int]] = field(default_factory=list)  # group, comparison, who, ...
    rejected: list[tuple[str, str]] = field(default_factory=list)  # key, message
    failures: list[str] = field(default_factory=list)  # anything a caller should never see


def dup_submit(group: int) -> tuple[int, str, str, str]:
    """The one submit (comparison, annotator, verdict, key) that every writer sends for ``group``."""
    return COMPARISONS[group % len(COMPARISONS)], f"retry-{group}", VERDICTS[group % len(VERDICTS)], f"dup-{group}"


def write_labels(store: Store, writer: str, seed: int, rounds: int) -> Outcome:
    """One writer's share of the workload; every answer or error is recorded, none is raised."""
    rng = random.Random(seed)
    out = Outcome(writer)

    def submit(
        comparison: int, annotator: str, verdict: str, key: str, retry: bool = False
    ) -> tuple[int, str, str, int] | None:
        try:
            view = store.save_label(comparison, annotator, verdict, idempotency_key=key)
        except StoreError as exc:
            out.failures.append(f"{key}: valid submit refused: {exc}")
            return None
        except Exception as exc:  # recorded: the test asserts none ever happens
            out.failures.append(f"{key}: {type(exc).__name__}: {exc}")
            return None
        got = (view.comparison_id, view.annotator, view.verdict, view.version)
        # a retry is answered with the label as it is now: a later write by someone else is not overwritten
        if got[: 3 if not retry else 2] != (comparison, annotator, verdict)[: 3 if not retry else 2]:
            out.failures.append(f"{key}: asked for {(comparison, annotator, verdict)}, answered {got}")
        return got

    for i in range(rounds):
        ops = ["shared", "dup"] + (["invalid"] if i % 2 == 0 else [])
        rng.shuffle(ops)
        for op in ops:
            if op == "shared":  # a first write or a change of verdict on a contended label
                key = f"{writer}-{i}"
                request = (rng.choice(COMPARISONS), rng.choice(ANNOTATORS), rng.choice(VERDICTS))
                tries = 2 if rng.random() < 0.3 else 1  # a retry after a "lost" answer reuses the key
                for attempt in range(tries):
                    got = submit(*request, key, retry=attempt > 0)
                    if got is not None:
                        out.accepted.append((key, *got))
            elif op == "dup":
                group = (i + seed) % DUP_GROUPS
                comparison, annotator, verdict, key = dup_submit(group)
                got = submit(comparison, annotator, verdict, key)
                if got is not None:
                    out.duplicates.append((group, *got))
            else:
                comparison, annotator, verdict, expected = INVALID[(i // 2 + seed) % len(INVALID)]
                key = f"bad-{writer}-{i}"
                try:
                    store.save_label(comparison, annotator, verdict, idempotency_key=key)
                    out.failures.append(f"{key}: invalid submit {(comparison, annotator, verdict)} was accepted")
                except StoreError as exc:
                    out.rejected.append((key, str(exc)))
                    if expected not in str(exc):
                        out.failures.append(f"{key}: unclear refusal {exc!r}, expected {expected!r}")
                except Exception as exc:
                    out.failures.append(f"{key}: {type(exc).__name__}: {exc}")
    return out


def start_thread_writers(
    store: Store, n: int, rounds: int, go: threading.Event, seed: int = 0
) -> tuple[list[threading.Thread], list[Outcome]]:
    """``n`` threads sharing ``store``, each waiting for ``go`` so that they all start together."""
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        go.wait()
        outcome = write_labels(store, f"t{index}", seed + index, rounds)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    return threads, outcomes


def run_thread_writers(store: Store, n: int, rounds: int, seed: int = 0) -> list[Outcome]:
    go = threading.Event()
    threads, outcomes = start_thread_writers(store, n, rounds, go, seed)
    go.set()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer thread hung"
    assert len(outcomes) == n
    return outcomes


def _process_writer(location: str, index: int, rounds: int, ready: Any, results: Any) -> None:
    """Entry point of a spawned writer process: its own Store on the same database file."""
    writer = f"p{index}"
    try:
        store = open_store(location)
    except Exception as exc:  # reported to the parent, which fails the test
        ready.wait(timeout=120)
        results.put(Outcome(writer, failures=[f"open_store: {type(exc).__name__}: {exc}"]))
        return
    ready.wait(timeout=120)  # start together with the other processes and the threads
    try:
        results.put(write_labels(store, writer, 1000 + index, rounds))
    finally:
        store.close()


def check_database(engine: Engine, outcomes: list[Outcome]) -> dict[str, int]:
    """Assert, from what the database holds, that the writers' answers and the tables agree."""
    failures = [f for o in outcomes for f in o.failures]
    assert not [f for f in failures if "database is locked" in f.lower()], failures
    assert failures == []

    with engine.connect() as connection:
        labels = connection.execute(
            text(
                "SELECT l.id, l.comparison_id, a.name, l.verdict, l.version, l.idempotency_key "
                "FROM labels l JOIN annotators a ON a.id = l.annotator_id"
            )
        ).all()
        events = connection.execute(
            text(
                "SELECT e.label_id, e.comparison_id, a.name, e.action, e.verdict, e.version "
                "FROM label_events e JOIN annotators a ON a.id = e.annotator_id ORDER BY e.id"
            )
        ).all()
        annotators = set(connection.execute(text("SELECT name FROM annotators")).scalars())
        bad = connection.execute(
            text("SELECT count(*) FROM labels WHERE idempotency_key LIKE 'bad-%' OR comparison_id = :c"),
            {"c": UNKNOWN_COMPARISON},
        ).scalar()

    # exactly one current label per (comparison, annotator)
    per_pair = Counter((row.comparison_id, row.name) for row in labels)
    assert [pair for pair, n in per_pair.items() if n > 1] == []

    # the event log: versions 1..n without gaps, created then changed, ends at the current label
    by_label: dict[int, list[Any]] = defaultdict(list)
    for event in events:
        by_label[event.label_id].append(event)
    assert set(by_label) == {row.id for row in labels}
    for row in labels:
        log = by_label[row.id]
        assert [e.version for e in log] == list(range(1, len(log) + 1)), (row, log)
        assert [e.action for e in log] == ["created"] + ["changed"] * (len(log) - 1), (row, log)
        assert all((e.comparison_id, e.name) == (row.comparison_id, row.name) for e in log)
        assert all(a.verdict != b.verdict for a, b in zip(log, log[1:], strict=False)), log  # a change changes
        assert (log[-1].verdict, log[-1].version) == (row.verdict, row.version)

    # every accepted answer is in the log, and every logged change was answered to some caller
    answered = {(c, who, verdict, version) for o in outcomes for (_k, c, who, verdict, version) in o.accepted}
    answered |= {(c, who, verdict, version) for o in outcomes for (_g, c, who, verdict, version) in o.duplicates}
    logged = {(e.comparison_id, e.name, e.verdict, e.version) for e in events}
    assert answered == logged
    assert {(c, who) for (c, who, _v, _n) in answered} == set(per_pair)

    # the submit every writer sent with the same key was stored once, and every sender got that label
    sent = {group for o in outcomes for (group, *_rest) in o.duplicates}
    for group in sent:
        comparison, annotator, verdict, key = dup_submit(group)
        (row,) = [r for r in labels if (r.comparison_id, r.name) == (comparison, annotator)]
        assert (row.verdict, row.version, row.idempotency_key) == (verdict, 1, key)
        assert len(by_label[row.id]) == 1
        answers = {tuple(rest) for o in outcomes for (g, *rest) in o.duplicates if g == group}
        assert answers == {(comparison, annotator, verdict, 1)}

    # rejected submits left nothing behind and were all answered with a StoreError
    rejected = [r for o in outcomes for r in o.rejected]
    assert rejected, "the workload should include invalid submits"
    assert bad == 0
    assert annotators == {who for (_c, who) in per_pair}, "a refused submit created an annotator"
    accepted_calls = sum(len(o.accepted) + len(o.duplicates) for o in outcomes)
    return {"calls": accepted_calls + len(rejected), "rejected": len(rejected), "events": len(events)}


def test_threads_and_processes_write_the_same_labels_without_loss_or_duplicates(db_path: Path) -> None:
    n_threads, n_processes, rounds = 32, 8, 12
    store = open_store(db_path)
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(n_processes + 1)
    results = context.Queue()
    processes = [
        context.Process(target=_process_writer, args=(str(db_path), i, rounds, ready, results), daemon=True)
        for i in range(n_processes)
    ]
    go = threading.Event()
    threads, outcomes = start_thread_writers(store, n_threads, rounds, go)
    try:
        for process in processes:
            process.start()
        ready.wait(timeout=120)  # every process has its own Store open: release them and the threads at once
        go.set()
        started = time.monotonic()  # spawning (mostly importing pandas and scipy) is not the store's time
        from_processes = [results.get(timeout=120) for _ in processes]
        for thread in threads:
            thread.join(timeout=120)
        for process in processes:
            process.join(timeout=30)
        writing = time.monotonic() - started
    finally:
        go.set()
        for process in processes:
            if process.is_alive():
                process.kill()
    assert [p.exitcode for p in processes] == [0] * n_processes
    assert len(outcomes) == n_threads
    summary = check_database(store.engine, outcomes + from_processes)
    store.close()

    # plenty happened, and everything of it went through SQLite's own consistency checks too
    assert summary["calls"] > 40 * rounds
    assert summary["events"] >= len(COMPARISONS)
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert connection.execute("PRAGMA journal_mode").fetchall() == [("wal",)]
    assert writing < 60, f"the concurrent writers took {writing:.0f} s: someone waited on the lock far too long"


# ---------------------------------------------------------------------- sessions: k is never exceeded
SESSION_LIMITS = {"k1": 1, "k2": 2}
TINY = {
    "name": "tiny",
    "models": [{"name": m} for m in ("a", "b", "c")],
    "prompts": [
        {"id": f"q{i}", "instruction": f"Question {i}", "responses": {m: f"{m}{i}" for m in "abc"}} for i in range(4)
    ],
}


def _expire_lease(store: Store, comparison_id: int, who: str) -> None:
    """``who``'s lease on the comparison runs out (a tab left open), in a write transaction of its own."""
    with store.engine.execution_options(**WRITE).begin() as connection:
        connection.execute(
            text(
                "UPDATE assignments SET lease_expires_at = :past WHERE comparison_id = :c "
                "AND annotator_id = (SELECT id FROM annotators WHERE name = :who)"
            ),
            {"past": datetime(2000, 1, 1), "c": comparison_id, "who": who},
        )


def _session_worker(store: Store, who: str, seed: int, out: Outcome) -> None:
    """One annotator working through both sessions: lease, sometimes let the lease run out (so the item
    goes back to the pool and others may take it), then submit; refusals must be clear conflicts."""
    from errors import Conflict

    rng = random.Random(seed)
    for _round in range(12):
        name = rng.choice(tuple(SESSION_LIMITS))
        try:
            turn = store.lease("pairwise", who, name)
            if turn is None:
                continue
            if rng.random() < 0.3:
                _expire_lease(store, turn.item.id, who)
            time.sleep(rng.random() * 0.01)
            verdict = rng.choice(VERDICTS)
            store.submit("pairwise", who, name, turn.item.id, swapped=turn.swapped, verdict=verdict)
            out.accepted.append((name, turn.item.id, who, verdict, 1))
        except Conflict as exc:
            out.rejected.append((name, str(exc)))
        except Exception as exc:  # recorded: the test asserts none ever happens
            out.failures.append(f"{who}: {type(exc).__name__}: {exc}")


def run_session_race(store: Store, n: int = 50, **settings: Any) -> None:
    """``n`` annotators (threads sharing ``store``) at once on two sessions (k = 1 and k = 2) over one
    8-comparison dataset; then every item must hold at most k labels per session, and exactly k.
    ``settings``: more session settings (e.g. the assignment strategy)."""
    store.seed_dataset(TINY, pairs_per_prompt=2)
    for name, k in SESSION_LIMITS.items():
        store.save_session(name, "tiny", overlap=k, randomize_order=False, **settings)
    outcomes = [Outcome(f"ann-{i:02d}") for i in range(n)]
    threads = [
        threading.Thread(target=_session_worker, args=(store, o.writer, i, o), daemon=True)
        for i, o in enumerate(outcomes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "an annotator thread hung"
    assert [f for o in outcomes for f in o.failures] == []
    with store.engine.connect() as connection:
        per_item = connection.execute(
            text(
                "SELECT s.name, l.comparison_id, count(*) FROM labels l "
                "JOIN annotation_sessions s ON s.id = l.session_id WHERE NOT l.skipped GROUP BY s.name, l.comparison_id"
            )
        ).all()
        unsessioned = connection.execute(text("SELECT count(*) FROM labels WHERE session_id IS NULL")).scalar()
    assert per_item and unsessioned == 0
    assert [(name, item, n) for name, item, n in per_item if n > SESSION_LIMITS[name]] == []
    assert sum(n for _name, _item, n in per_item) == sum(len(o.accepted) for o in outcomes)
    assert sum(n for _name, _item, n in per_item) == 8 * sum(SESSION_LIMITS.values())  # filled to k, no further
    refused = [message for o in outcomes for _s, message in o.rejected]
    assert refused, "no late submit was refused: the expired-lease rule was not exercised"
    assert all("is taken" in m for m in refused), refused


def test_fifty_annotators_at_once_never_exceed_k_per_session(db_path: Path) -> None:
    store = open_store(db_path)
    try:
        run_session_race(store, 50)
    finally:
        store.close()
