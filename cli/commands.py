"""``serve``, ``judge``, ``rate`` and ``evaluate``: the commands that load a judge.

Every heavy import (torch, transformers, gradio, uvicorn, the store) is inside the function that
needs it, so the command line starts in a fraction of a second and ``--help`` never waits for torch.
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from cli.options import counted, shown_database
from errors import joined
from judge_runtime import Judge, SingleCase
from judge_runtime.base import checked_settings
from settings import Settings, judge_spec

if TYPE_CHECKING:
    from orchestration import Studio

#: The test rating of ``rate``'s check: short, so the check costs about one rating.
CHECK_QUESTION = "What is the capital of France?"
CHECK_ANSWER = "The capital of France is Paris."


def serve(settings: Settings) -> None:
    """The web app (UI behind a login page, REST API, invite pages) with uvicorn, in one process."""
    import uvicorn

    from judge_runtime import DEMO_MODEL
    from orchestration import Studio
    from web import create_app
    from web.server import log_config

    if not is_loopback(settings.host):
        print(
            f"Warning: listening on {settings.host}, reachable from other machines. Every page needs a login, "
            "but passwords, session cookies and API tokens cross the network in clear text: put Judge Studio "
            "behind an HTTPS reverse proxy (or a VPN) before people use it.",
            file=sys.stderr,
            flush=True,
        )
    refuse_busy_port(settings.host, settings.port)
    studio = Studio.open(settings)
    password = first_admin(studio, settings, log_config())
    warn_loose_permissions(settings)
    said = warn_unloadable_judge(studio)  # a missing model path: said now, not only on the Case study page
    on_error = None if said else say_background_failure
    demo = settings.judge_model == DEMO_MODEL
    if settings.judge_demo_on_start and settings.seed_demo and demo and not demo_missing(studio):
        judge_demo_logged(studio, on_error)  # first start: real verdicts (loads the judge too)
    elif settings.judge_demo_on_start and settings.seed_demo and demo:  # nothing to judge: no alarm, one line
        print(NO_DEMO_DATASET, flush=True)
    elif settings.judge_demo_on_start or not demo:  # turned off, the demo judge's weights load at its first use
        studio.warm_up_in_background(on_error=on_error)
    else:  # said as the start and end of the demo judging are, so a quiet console is no puzzle
        print("Demo judging off (--no-judge-demo-on-start): the demo judge loads at its first use.", flush=True)
    app = create_app(studio)
    url = f"http://{settings.host}:{settings.port}/"
    _announce_admin(password, settings)
    print(f"Judge Studio on {url} (REST API docs: {url}api/v1/docs); data in {shown_database(settings)}", flush=True)
    for line in network_lines(settings):
        print(line, flush=True)
    # proxy_headers off: the app believes X-Forwarded-* only from forwarded_allow_ips (web/security.py)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        log_config=log_config(),  # uvicorn's, plus the security log (logins, accounts, refused requests)
        access_log=False,
        proxy_headers=False,
    )


#: The start's line when the data folder holds no demo dataset (made with ``import`` before the first start, or the
#: demo dataset deleted: ``orchestration.demo.seed_demo`` seeds only an empty database).
NO_DEMO_DATASET = (
    "No demo dataset in this data folder (it held other data at the first start, or the demo was deleted): "
    "nothing for the demo judge to judge; it loads at its first use."
)


def demo_missing(studio: Studio) -> bool:
    """Whether the demo dataset is absent, so the demo judging on start has nothing to judge."""
    from annotation_store import DEMO_DATASET_NAME

    return DEMO_DATASET_NAME not in studio.store.dataset_names()


def judge_demo_logged(studio: Studio, on_error: Callable[[Exception], None] | None) -> None:
    """``Studio.judge_demo_in_background`` with a line on the server's console (uvicorn's log) when it starts
    and when it is done ("Demo judge: judged 12 comparisons in 41 s"): the pages show its progress, but the
    console said nothing unless it failed. uvicorn's logging is set up here, before ``uvicorn.run`` sets it up
    again the same way, so the first line is not dropped (it may come before the server's own lines)."""
    import logging
    import logging.config

    from uvicorn.config import LOGGING_CONFIG

    from orchestration.demo import judge_demo_in_background

    logging.config.dictConfig(LOGGING_CONFIG)
    log = logging.getLogger("uvicorn.error")

    def judge_dataset(*args: Any, **kwargs: Any) -> object:
        log.info("Demo judge: judging the dataset %s in the background (the pages show its progress).", args[0])
        started = time.perf_counter()
        try:
            summary = studio.judge_dataset(*args, **kwargs)
        except Exception as exc:
            if on_error is not None:
                on_error(exc)
            raise
        seconds = time.perf_counter() - started
        log.info("Demo judge: %s in %.0f s.", demo_judged_text(summary.judged, summary.skipped), seconds)
        return summary

    judge_demo_in_background(judge_dataset, studio.background)


def demo_judged_text(judged: int, skipped: int) -> str:
    """What the demo judge did at start, in words: a restart after a finished first start judges nothing."""
    done = f"judged {counted(judged, 'comparison')}"
    return done + (f" ({skipped} judged before, skipped)" if skipped else "")


def warn_loose_permissions(settings: Settings) -> None:
    """Say once, at start, when other users of this machine can read the SQLite database (it holds the key
    that signs login cookies) or open its folder; new files are made 0600 in 0700 folders, an existing one
    is not changed."""
    from annotation_store.db import loose_permissions

    if warning := loose_permissions(settings.database) or loose_folder(settings.database):
        print(warning, file=sys.stderr, flush=True)


def loose_folder(location: str) -> str | None:
    """A warning when the SQLite database's folder, made by its owner (this user), is open to others (a folder
    made beforehand with 0755): the files in it are 0600, but a copy or a restored backup made there with a
    looser mode would be readable at once. A shared folder of someone else's (``/tmp``) is not ours to judge."""
    import os

    from annotation_store.backup import sqlite_path

    path = sqlite_path(location)
    if os.name != "posix" or path is None or not path.parent.is_dir():
        return None
    folder = path.parent.resolve()
    mode = folder.stat()
    if mode.st_uid != os.getuid() or not mode.st_mode & 0o077:
        return None
    return (
        f"Warning: other users of this machine can open the data folder {folder} (mode {mode.st_mode & 0o777:o}), "
        "which holds the database and the key that signs login cookies; the files in it are private now, but a "
        f"copy made there may not be. Run: chmod 700 {folder}"
    )


def network_lines(settings: Settings) -> list[str]:
    """The start banner's word on the proxy settings in effect, so the admin can check them at a glance."""
    lines = []
    if settings.public_url:
        lines.append(f"Public address {settings.public_url} (public_url): the one origin trusted, and invite links.")
    if settings.forwarded_allow_ips:
        lines.append(f"X-Forwarded-* headers trusted from {settings.forwarded_allow_ips} (forwarded_allow_ips).")
    return lines


def warn_unloadable_judge(studio: Studio) -> bool:
    """Warn on the console when the judge's settings cannot work (the checks ``judge`` makes before loading:
    the profile, the other settings, the model's path or form); True when warned. The server still starts:
    annotation needs no judge."""
    from errors import StudioError
    from judge_runtime.factory import check_model_spec, check_profile_kind

    settings = studio.settings
    try:
        check_profile_kind(settings.judge_profile, "pair")
        checked_settings(studio.judge_spec)
        check_model_spec(studio.judge_spec)
    except (StudioError, ValueError) as exc:
        print(
            f"Warning: the judge cannot be loaded: {str(exc).rstrip('.')}. The Case study and judge runs will fail "
            "until this is fixed (--judge-model, --judge-profile or their JUDGE_STUDIO_* variables); the server "
            "starts all the same, for annotation.",
            file=sys.stderr,
            flush=True,
        )
        return True
    return False


def say_background_failure(exc: Exception) -> None:
    """The judge's background load (or the demo judging) failed: said on the console as well as on the pages."""
    print(
        f"Warning: the judge failed in the background: {str(exc).rstrip('.')}. The Case study and judge runs "
        "will fail until this is fixed; annotation works.",
        file=sys.stderr,
        flush=True,
    )


def refuse_busy_port(host: str, port: int) -> None:
    """Say so when another server listens on ``port``, before anything is created: uvicorn would fail
    only later, with a raw ``[Errno 98]``, after the first start has made the admin account."""
    import errno

    from errors import Conflict

    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, IndexError):
        return  # a host that does not resolve: uvicorn's message names it
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no clash
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise Conflict(f"Port {port} is in use (another Judge Studio?); choose another with --port.") from None


def first_admin(studio: Studio, settings: Settings, logging_config: dict[str, Any]) -> str | None:
    """``Access.ensure_admin`` with the server's logging (``logging_config``: ``web.server.log_config``) set up
    first, so its security-log line ("account created: 'admin' ...") is written as the later ones are, not
    dropped before uvicorn sets the log up (it sets it up again the same way)."""
    import logging.config

    logging.config.dictConfig(logging_config)
    return studio.access.ensure_admin(settings.home)


def _announce_admin(password: str | None, settings: Settings) -> None:
    """On the first start: the admin account's password, once."""
    from orchestration.access import ADMIN_PASSWORD_FILE

    if password is not None:
        print(
            f"\nFirst start: created the admin account.\n"
            f"    Log in as admin / {password} (also in {settings.home / ADMIN_PASSWORD_FILE})\n"
            "    Add people with the Admin page, `judge-studio users add NAME` or `judge-studio users invite`.\n",
            flush=True,
        )


def serve_api(settings: Settings, args: argparse.Namespace) -> None:
    """The REST API alone in ``--workers`` uvicorn processes (no UI, no judge): for annotation front-ends and
    scripts at a scale one process cannot take. Gradio's UI keeps its queue in one process, so it cannot be
    spread over workers; run ``serve`` beside this for the UI. The database is opened (migrated, demo data
    seeded) here once; each worker gets these settings through the ``JUDGE_STUDIO_*`` environment."""
    import os
    from dataclasses import fields

    import uvicorn

    from orchestration import Studio
    from settings import ENV_PREFIX
    from settings.table import BY_NAME
    from web.server import log_config

    workers = args.api_workers if args.api_workers is not None else BY_NAME["api_workers"].from_env(os.environ)
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}.")
    if workers > 1 and not settings.database.startswith(("postgresql", "postgres")):
        print(
            "Note: several workers share one SQLite file; writes wait for each other (one writer at a time). "
            "Use PostgreSQL (--database-url postgresql+psycopg://...) for more than one writer at once.",
            file=sys.stderr,
            flush=True,
        )
    refuse_busy_port(settings.host, settings.port)
    _announce_admin(first_admin(Studio.open(settings), settings, log_config()), settings)
    warn_loose_permissions(settings)
    for field in fields(settings):
        value = getattr(settings, field.name)
        text = ("1" if value else "0") if isinstance(value, bool) else str(value)
        os.environ[ENV_PREFIX + field.name.upper()] = text
    print(f"REST API: http://{settings.host}:{settings.port}/api/v1/docs ({workers} workers)", flush=True)
    for line in network_lines(settings):
        print(line, flush=True)
    config = uvicorn.Config(
        "web.server:worker_app",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_level="info",
        log_config=log_config(),
        access_log=False,
        proxy_headers=False,
    )
    if workers == 1:
        uvicorn.Server(config).run()
        return
    from cli.workers import reuse_port_supported, serve_workers

    if reuse_port_supported():
        serve_workers(config, workers)  # a socket per worker: connections spread evenly (cli/workers.py)
        return
    from uvicorn.supervisors import Multiprocess

    Multiprocess(config, sockets=[_with_nodelay(config.bind_socket())]).run()


def _with_nodelay(sock: socket.socket) -> socket.socket:
    """The listening socket of ``--workers N``, marked as TCP. uvicorn binds it with ``proto`` 0; accepted
    connections inherit that and asyncio then leaves Nagle's algorithm on, so every keep-alive request
    after the first waited ~40 ms for the client's delayed ACK (uvicorn issue #3149: measured here, one
    client submitting through 2 workers took ~100 ms a submit against 14 ms with 1)."""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock


class BatchClock:
    """The postfix of a judging bar while a batch runs (s14 steward: "0/2 ... ? judgments/s" for minutes on a slow
    CPU): "batch 1/3 running 45 s, 37 tokens", the tokens being the generation steps of the batch so far
    (``judge_runtime.batching.GENERATION_STEPS``). Read by the bar's ticker once a second, on a terminal only."""

    def __init__(self, batch_size: int, clock: Callable[[], float] = time.monotonic) -> None:
        from judge_runtime.batching import GENERATION_STEPS

        self.batch_size, self.clock, self.counter = batch_size, clock, GENERATION_STEPS
        self.done, self.total = 0, 0
        self.started, self.steps = clock(), self.counter.steps

    def moved(self, done: int, total: int) -> None:
        """A batch ended (or the total is known): the next one starts now."""
        self.done, self.total = done, total
        self.started, self.steps = self.clock(), self.counter.steps

    def __call__(self) -> str:
        from judge_runtime.remote import SERVER_WAIT

        waiting = SERVER_WAIT.text()  # a remote judge's request waiting for its answer (s14 judgeeng, finding 8)
        if waiting:
            return waiting
        if self.batch_size <= 0 or not self.total or self.done >= self.total:
            return ""
        size = max(1, min(self.batch_size, self.total))
        batches = -(-self.total // size)
        words = f"batch {min(self.done // size + 1, batches)}/{batches} running {self.clock() - self.started:.0f} s"
        tokens = self.counter.steps - self.steps
        return f"{words}, {tokens} tokens" if tokens > 0 else words


@contextmanager
def progress_bar(unit: str, desc: str, total: int = 0, *, batch_size: int = 0) -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on standard error, as the ``on_progress(done, total)`` callback that moves it. ``unit``
    is singular; the bar says " ratings/s" (tqdm puts the unit right after the number). ``total``: what is
    to do when known before the first call, so a bar waiting for its first batch says "0/6", not "0".
    ``batch_size`` (a local judge's): the bar's postfix says which batch runs, for how long and how many tokens
    it has generated (``BatchClock``).

    Closed on the way out, Ctrl-C included, so that the bar is not drawn again after the last line. While it
    is on screen a judge that loads draws no bar of its own (transformers' "Loading weights" printed under it).
    """
    from tqdm import tqdm

    from judge_runtime.batching import ticking
    from judge_runtime.loading import library_bars_hidden

    # tqdm's own layout, but the rate always per second ("0.08 ratings/s"): slower than one a second it would
    # say "12.28s/ ratings" instead
    layout = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_noinv_fmt}{postfix}]"
    clock = BatchClock(batch_size)
    clock.moved(0, total)
    # ticking: the elapsed time and the batch's postfix move while a batch runs (a bar at 0/6 for minutes looked hung)
    with (
        library_bars_hidden(),
        tqdm(total=total, unit=f" {unit}s", desc=desc, bar_format=layout) as bar,
        ticking(bar, postfix=clock),
    ):

        def progress(done: int, total: int) -> None:
            if (done, total) == (bar.n, bar.total):
                return  # nothing moved: in a log file each redraw is a line of its own ("0/2" twice)
            clock.moved(done, total)
            if bar.postfix:  # the ticker's (a terminal): now the next batch's
                bar.set_postfix_str(clock(), refresh=False)
            bar.total, bar.n = total, done
            if done >= total:
                bar.close()  # drawn once at 100% (or 0/0), not again when the bar closes on the way out
            else:
                bar.refresh()

        yield progress


def judge(settings: Settings, args: argparse.Namespace) -> None:
    from dataclasses import replace

    from annotation_store import DEMO_DATASET_NAME
    from judge_runtime.factory import check_model_spec
    from judge_runtime.remote import RemoteJudgeError, is_remote_model
    from orchestration import Studio
    from orchestration.service import run_summary_text

    # the demo is seeded only when it is the dataset asked for: a typo never fills an empty database
    studio = Studio.open(replace(settings, seed_demo=settings.seed_demo and args.dataset == DEMO_DATASET_NAME))
    pairwise_profile(settings.judge_profile, "judge")  # mtbench-single once stored a run of errors
    checked_settings(studio.judge_spec)  # an unknown profile or preset is said before any bar or loading
    check_model_spec(studio.judge_spec)  # a malformed openai:NAME@URL or a missing model path too
    studio.check_judge_dataset(args.dataset)  # an unknown or empty dataset too, before the model loads
    if is_remote_model(studio.judge_spec.model):
        studio.judge()  # a remote judge "loads" in a request: an unreachable or wrong URL is said first as well
    settings, one_at_a_time = cpu_batch_size(settings, args)
    studio.settings = settings  # the batch size is no part of the judge's fingerprint: nothing else changes
    print(f"Judge: {settings.judge_model} (profile {settings.judge_profile})", file=sys.stderr)
    stored: list[int] = []  # verdicts of this run stored so far, [] until the judge has loaded
    said_on_ctrl_c(lambda: stored_so_far(stored[0] if stored else 0, "verdict"))

    remote = is_remote_model(settings.judge_model)
    hint = "\n".join(line for line in (one_at_a_time, free_text_hint(settings)) if line)
    bar = lazy_progress_bar("judgment", "Judging", settings.batch_size, hint=hint, remote=remote)
    with bar as progress:

        def tracked(done: int, total: int) -> None:
            stored[:] = [done]
            progress(done, total)

        try:
            summary = studio.judge_dataset(args.dataset, limit=args.limit, on_progress=tracked)
        except RemoteJudgeError as exc:
            raise RemoteJudgeError(stopped_text(exc, stored[0] if stored else 0)) from exc
    print(f"{run_summary_text(summary, args.dataset)} Database: {shown_database(settings)}")


def stopped_text(exc: Exception, stored: int) -> str:
    """A judge run that stopped half-way (a server gone): what was kept, and that the same command continues. Before
    its first verdict the service has said what became of the run (``RUN_NOT_KEPT`` or ``run_kept_text``; s18
    notebook, finding 4: a server gone at 0/6 said neither that nor how to go on)."""
    if not stored:
        return joined(str(exc), "Run the same command again once the judge server answers.")
    return joined(
        str(exc),
        f"{counted(stored, 'verdict')} of this run {'was' if stored == 1 else 'were'} stored before it "
        "stopped; run the same command again to continue (what is stored is skipped).",
    )


def stored_so_far(stored: int, unit: str) -> str:
    """What Ctrl-C says after "interrupted." in ``judge`` and ``rate`` (s15 novice, finding 1: it said nothing of what
    was kept): each result is committed as it is stored, so these are in the database. Worded without
    ``counted``, which imports the statistics: this runs in the Ctrl-C handler."""
    were = "was" if stored == 1 else "were"
    return (
        f"{stored} {unit}{'' if stored == 1 else 's'} of this run {were} stored; run the same command again to "
        "continue (what is stored is skipped)."
    )


def said_on_ctrl_c(note: Callable[[], str]) -> None:
    """``note()`` is said on the line of "judge-studio: interrupted." (``cli._interrupted``), for this command."""
    from cli import INTERRUPT_NOTES

    INTERRUPT_NOTES.append(note)


def on_the_cpu(settings: Settings) -> bool:
    """Whether a local judge of these settings runs on the CPU (``--device cpu``, or ``auto`` without CUDA)."""
    from judge_runtime.remote import is_remote_model

    if is_remote_model(settings.judge_model):
        return False
    if settings.device == "auto":
        import torch  # loaded with the judge in a moment anyway

        return not torch.cuda.is_available()
    return settings.device == "cpu"


def cpu_batch_size(settings: Settings, args: argparse.Namespace) -> tuple[Settings, str]:
    """``settings`` with ``settings.table.CPU_BATCH_SIZE`` on the CPU when no --batch-size or JUDGE_STUDIO_BATCH_SIZE
    is given, and the line saying so ('' when nothing changes): a batch stores its verdicts when it ends, and on the
    CPU a batch of 6 ran 15 minutes with nothing stored, lost to Ctrl-C (s15 novice, finding 1). A GPU keeps the
    table's default."""
    import os
    from dataclasses import replace

    from settings.table import BY_NAME, CPU_BATCH_SIZE

    row = BY_NAME["batch_size"]
    given = getattr(args, "batch_size", None) is not None or (row.env_var or "") in os.environ
    if given or settings.batch_size == CPU_BATCH_SIZE or not on_the_cpu(settings):
        return settings, ""
    return replace(settings, batch_size=CPU_BATCH_SIZE), (
        f"On the CPU one at a time: each result is stored as it comes, and Ctrl-C keeps them "
        f"(--batch-size {settings.batch_size} is faster in all, but stores nothing until a batch ends)."
    )


def free_text_hint(settings: Settings) -> str:
    """The line said before a custom prompt's bar on the CPU ('' otherwise): such a prompt generates its
    reasoning and verdict freely, up to --max-new-tokens per comparison, about 20 times slower on the CPU demo
    judge than a built-in profile's constrained verdict (s11: 4 comparisons in 6 minutes against 12 in 4)."""
    if not settings.judge_profile.startswith("custom:") or not on_the_cpu(settings):
        return ""
    tokens = settings.max_new_tokens
    return (
        f"Free-text generation on the CPU: up to {tokens} tokens per comparison; try --limit 4 "
        f"--max-new-tokens {min(64, tokens)} first."
    )


@contextmanager
def lazy_progress_bar(
    unit: str, desc: str, batch_size: int, *, hint: str = "", remote: bool = False
) -> Iterator[Callable[[int, int], None]]:
    """``progress_bar``, drawn only at the first ``on_progress`` call (a run with nothing to do draws none)
    with that call's total (so it never reads "0/0"), after a line saying when the bar first moves (on a CPU a
    batch of 8 takes minutes, and a bar at 0 for that long looks stuck; a ``remote`` judge's moves after each
    judgment) and ``hint``, when given."""
    from orchestration.service import batch_note

    with ExitStack() as stack:
        bar: list[Callable[[int, int], None]] = []

        def progress(done: int, total: int) -> None:
            if not bar and not total:
                return  # nothing goes to the judge (every case refused): no "0/0" bar
            if not bar:
                for line in (batch_note(total - done, batch_size, remote=remote), hint):
                    if line:
                        print(line, file=sys.stderr)
                bar.append(stack.enter_context(progress_bar(unit, desc, total, batch_size=0 if remote else batch_size)))
            bar[0](done, total)

        yield progress


def pairwise_profile(name: str, command: str) -> None:
    """Refuse a single-answer profile for ``judge``, ``evaluate`` and ``checkup`` before anything loads, pointing
    at ``rate``; an unknown profile is listed against the pairwise ones only."""
    from judge_runtime.factory import check_profile_kind

    instead = f" as `{command}` does"
    if not name.startswith("custom:"):  # your own prompt: `rate` takes built-in profiles only
        instead += f": to rate each response alone, run `judge-studio rate --rating-profile {name}`"
    check_profile_kind(name, "pair", instead=instead)


def rate(settings: Settings, args: argparse.Namespace) -> None:
    from dataclasses import replace

    from annotation_store import DEMO_DATASET_NAME
    from judge_runtime.factory import check_profile_kind
    from orchestration import Studio

    profile, session = settings.rating_profile, args.session
    # a pairwise profile from JUDGE_STUDIO_RATING_PROFILE (the flag's choices do not see it), before anything opens
    instead = f" as `rate` does: to compare two responses, run `judge-studio judge --judge-profile {profile}`"
    check_profile_kind(profile, "single", instead=instead)
    # as in `judge`: the demo is seeded only when it is the dataset asked for
    studio = Studio.open(replace(settings, seed_demo=settings.seed_demo and args.dataset == DEMO_DATASET_NAME))
    studio.responses_to_rate(args.dataset, session)  # a wrong dataset or session is said before any loading
    settings, one_at_a_time = cpu_batch_size(settings, args)
    studio.settings = settings
    rated: list[int] = [0]
    said_on_ctrl_c(lambda: stored_so_far(rated[0], "rating"))
    expected = settings.rating_mode == "expected"
    how = ", expected ratings from its probabilities of each score" if expected else ""
    where = f", grading session {session!r}" if session else ""
    print(f"Judge: {settings.judge_model} (profile {profile}{how}{where})", file=sys.stderr)
    # expected ratings always give a score (read from the judge's distribution): nothing to check first
    check = args.check and not expected
    if check and not check_rating_output(studio.rater(profile, session), ask=not args.yes):
        sys.exit("judge-studio: nothing was rated.")
    # one plan, worked out before the judge loads, gives the bar its total and the run what it rates
    plan = studio.plan_rating(args.dataset, args.limit, profile=profile, session=session)
    if one_at_a_time and plan.total > 1:
        print(one_at_a_time, file=sys.stderr)
    with progress_bar("rating", "Rating", plan.total, batch_size=settings.batch_size) as progress:

        def tracked(done: int, total: int) -> None:
            rated[0] = done
            progress(done, total)

        summary = studio.rate_planned(plan, on_progress=tracked)
    print(
        f"Rated {counted(summary.rated, 'response')} ({summary.unparsed} unparsed); skipped {summary.skipped} already "
        f"rated with this judge (run {summary.run_id}). Database: {shown_database(settings)}"
    )


def check_rating_output(rater: Judge, *, ask: bool) -> bool:
    """Rate one short test answer before the run; warn when its output has no rating in the profile's
    format (``[[rating]]`` for mtbench-single, ``[RESULT] n`` for Prometheus 2, ...).

    A judge that cannot write the format (the 135M demo judge never does) would otherwise spend the
    whole run storing unparsed ratings with no word until the end. Returns False when the person at
    a terminal declines to go on; without a terminal (scripts) it warns and goes on.
    """
    started = time.perf_counter()
    result = rater.rate(SingleCase(CHECK_QUESTION, CHECK_ANSWER))
    seconds = time.perf_counter() - started
    if result.parsed.status == "ok":
        return True
    written = " ".join(result.raw_output.split())
    cut = " (cut at --max-new-tokens: a larger limit may let it finish)" if result.parsed.status == "truncated" else ""
    print(
        f"Warning: this judge's test rating did not parse ({result.parsed.status}{cut}: no rating in "
        f"{rater.profile.name}'s format in "
        f"{written[:160]!r}). Its ratings will probably be stored as {result.parsed.status}, without a score; "
        f"one rating took {seconds:.1f} s here. Ctrl-C stops a run; what was rated by then is kept.",
        file=sys.stderr,
        flush=True,
    )
    if not ask or not sys.stdin.isatty():
        return True
    try:
        return input("Rate anyway? [y/N] ").strip().lower() in {"y", "yes"}
    except EOFError:  # Ctrl-D (end of input) is "no", not a traceback
        print(file=sys.stderr)
        return False


def evaluate(settings: Settings, args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from evaluation import EvaluationPipeline
    from evaluation.summary import summary_text
    from settings.table import checked_statistics

    checked_statistics(args.alpha, args.n_bootstrap)  # named as flags, before any file is read or model loaded
    pairwise_profile(settings.judge_profile, "evaluate")
    bars = ExitStack()  # the judging bar is `judge`'s (one bar, each state drawn once), opened at its first call
    from judge_runtime.remote import is_remote_model

    remote = is_remote_model(settings.judge_model)
    progress = bars.enter_context(lazy_progress_bar("judgment", "Judging", settings.batch_size, remote=remote))
    generating: dict[str, Any] = {}

    def generation_progress(name: str, done: int, total: int) -> None:
        if name not in generating:
            generating[name] = tqdm(total=total, unit="response", desc=f"Generating {name}")
        generating[name].n = done
        generating[name].refresh()
        if done == total:
            generating[name].close()  # before the judging bar opens

    given = {  # only what was given: the pipeline's own defaults stand otherwise
        "alpha": args.alpha,
        "n_bootstrap": args.n_bootstrap,
        "rule": args.rule,
        "candidate_max_new_tokens": args.candidate_max_new_tokens,
        "candidate_prompt_format": args.candidate_prompt,
    }
    pipeline = EvaluationPipeline(
        args.candidates,
        args.input_data,
        args.output,
        judge=judge_spec(settings),
        both_orders=args.both_orders,  # None (not given): the judge's own choice
        batch_size=settings.batch_size,
        uncertain_margin=settings.uncertain_margin,
        on_progress=progress,
        on_generate=generation_progress,
        **{k: v for k, v in given.items() if v is not None},
    )
    try:
        result = pipeline.evaluate()
    finally:  # Ctrl-C included: no bar is drawn again after the last line
        for bar in generating.values():
            bar.close()
        bars.close()
    print(summary_text(result))
    print(f"\nResults written to {args.output}")


def checkup(settings: Settings, args: argparse.Namespace) -> None:
    """The judge checkup (``orchestration.checkup``): both orders of every pair, stored as a judge run,
    then a table per suite (or ``--json``). The figures of the 135M demo judge say nothing of quality."""
    import json
    from dataclasses import replace

    from judge_runtime import DEMO_MODEL
    from orchestration import Studio
    from orchestration.checkup import ensure_suite_dataset, run_checkup
    from orchestration.checkup_suites import suite_named

    studio = Studio.open(replace(settings, seed_demo=False))  # the suites are datasets of their own: no demo
    pairwise_profile(settings.judge_profile, "checkup")
    checked_settings(studio.judge_spec)  # as in `judge`: a bad setting is said before the bar and the loading
    suites = args.suite or ["evalbiasbench"]
    for name in suites:  # a missing suite file is said before the bar and the loading (it is imported once)
        ensure_suite_dataset(studio.store, suite_named(name), args.data)
    print(
        f"Judge: {settings.judge_model} (profile {settings.judge_profile}); checkup on {', '.join(suites)}, "
        "every pair in both orders",
        file=sys.stderr,
    )
    with progress_bar("judgment", "Checkup") as progress:
        report = run_checkup(
            studio,
            suites=suites,
            limit=args.limit,
            data_dir=args.data,
            on_progress=lambda _suite, done, total: progress(done, total),
        )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    print(report.text())
    for suite in report.suites:
        print(
            f"\n{suite.title}: {suite.judged} judgments now, {suite.skipped} already stored; dataset "
            f"{suite.dataset!r}, judge run {suite.run_id}. Right = the known-better response; unparsed and "
            "uncertain verdicts never count as right."
        )
    if settings.judge_model == DEMO_MODEL:
        print("Note: the 135M demo judge is for trying the app, not a judge of quality.")
    print(f"Database: {shown_database(settings)}")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
