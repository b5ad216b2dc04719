"""The one settings table: every setting declared once, with its default, type, environment variable,
command-line flag, help and the commands that take it.

``Settings`` (the runtime configuration), the argparse options of ``judge-studio``, the Admin page's
session defaults (``settings.sessions``) and the README's "Configuration" table (``settings.docs``)
are all read from these rows, so a default cannot disagree between the code, the CLI and the docs.

Where a default belongs to a lower layer, the row points at that constant instead of repeating it:
the judge's defaults come from ``dataclasses.fields(judge_runtime.JudgeSpec)``, the statistics'
from ``analysis.defaults``, the sessions' from ``annotation_store.sessions.SESSION_DEFAULTS``. Rows
whose constant lives in a heavy package read it lazily (``Setting.value()``), so ``judge-studio
--help`` does not import scipy to print a number it does not show.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judge_runtime import Judge, JudgeSpec, get_profile, profile_names
from judge_runtime.loading import QUANTIZATIONS
from judge_runtime.ratings import RATING_MODES
from judge_runtime.static_decode import DECODE_LOOPS

ENV_PREFIX = "JUDGE_STUDIO_"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})

#: Commands whose judge can be chosen (``rate`` takes a single-answer profile: ``rating_profile``).
JUDGE_COMMANDS = ("serve", "judge", "rate", "evaluate", "checkup")
#: The single-answer profiles ``rate --rating-profile`` takes (judge_runtime's registry, built-ins only).
SINGLE_PROFILES = tuple(name for name in profile_names() if get_profile(name).kind == "single")
PAIR_JUDGE_COMMANDS = ("serve", "judge", "evaluate", "checkup")
#: Commands that open the database.
STORE_COMMANDS = (
    "serve",
    "serve-api",
    "judge",
    "rate",
    "checkup",
    "import",
    "metrics",
    "report",
    "export",
    "users add",
    "users list",
    "users set",
    "users set-aside",
    "users invite",
    "users token",
    "users tokens",
    "users revoke-token",
    "users sign-out",
    "users sign-out-everyone",
    "users invites",
    "users revoke-invite",
    "users unlock",
    "prompts add",
    "prompts list",
    "prompts show",
    "gold list",
    "gold set",
    "gold remove",
    "gold import",
    "gold responses list",
    "gold responses set",
    "gold responses remove",
    "gold responses import",
    "backup",
    "datasets list",
    "datasets delete",
    "datasets runs",
    "datasets delete-run",
    "datasets merge-runs",
    "sessions list",
    "sessions activity",
    "sessions members",
    "sessions create",
)


@dataclass(frozen=True)
class Setting:
    """One row of the table.

    ``default`` is the value itself, or ``load`` reads it from ``source`` (a lower layer's constant)
    when asked. ``commands`` take ``--flag``; ``env`` says whether ``JUDGE_STUDIO_<NAME>`` is read.
    ``runtime`` rows are attributes of :class:`settings.Settings`; the others are per-run options
    (statistics) or defaults of a form (sessions).
    """

    name: str
    type: type
    help: str
    section: str
    default: Any = None
    source: str = ""
    load: Callable[[], Any] | None = None
    commands: tuple[str, ...] = ()
    env: bool = True
    flag: str = ""
    choices: tuple[str, ...] | None = None
    runtime: bool = True
    minimum: int | None = None  # the smallest value a number setting takes (flags and variables are checked)
    maximum: int | None = None  # the largest (a port: 65535)

    @property
    def env_var(self) -> str | None:
        return ENV_PREFIX + self.name.upper() if self.env else None

    @property
    def cli_flag(self) -> str | None:
        if not self.commands:
            return None
        return self.flag or "--" + self.name.replace("_", "-")

    def value(self) -> Any:
        """The default (read from ``source`` now when the row points at a lower layer's constant)."""
        return self.load() if self.load is not None else self.default

    def parse(self, raw: str) -> Any:
        """An environment variable's text as this setting's type; a clear error names the variable."""
        text = raw.strip()
        where = f"{self.env_var or self.name}={raw!r}"
        if self.type is bool:
            if text.lower() in TRUE_WORDS:
                return True
            if text.lower() in FALSE_WORDS:
                return False
            raise ValueError(f"{where} is not a yes/no value (use 1/0, true/false, yes/no, on/off).")
        if self.type in (int, float):
            try:
                number = self.type(text)
            except ValueError:
                raise ValueError(f"{where} is not a {'whole number' if self.type is int else 'number'}.") from None
            return self.in_range(number, where)
        if self.type is Path:
            return Path(text).expanduser()
        return raw

    def in_range(self, value: Any, where: str) -> Any:
        """``value``, or a ValueError naming ``where`` (the flag or variable) when it is below ``minimum``:
        checked as the value is read, so a bad ``--max-new-tokens -5`` stops before a model loads."""
        if self.minimum is not None and value < self.minimum:
            if self.maximum is not None:
                raise ValueError(f"{where} must be from {self.minimum} to {self.maximum}, got {value}.")
            raise ValueError(f"{where} must be at least {self.minimum}, got {value}.")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{where} must be from {self.minimum} to {self.maximum}, got {value}.")
        return value

    def from_env(self, environ: Mapping[str, str]) -> Any:
        """The value ``environ`` gives this setting, or the default."""
        raw = environ.get(self.env_var) if self.env_var else None
        return self.value() if raw is None else self.parse(raw)


# ------------------------------------------------------------------------------- lower layers' defaults

_SPEC_DEFAULTS = {f.name: f.default for f in dataclasses.fields(JudgeSpec)}


def _spec(field_name: str) -> dict[str, Any]:
    """Row keywords for a default taken from ``judge_runtime.JudgeSpec`` (the judge's own default)."""
    return {"default": _SPEC_DEFAULTS[field_name], "source": f"judge_runtime.JudgeSpec.{field_name}"}


#: ``batch_size`` of ``judge`` and ``rate`` on the CPU when neither --batch-size nor JUDGE_STUDIO_BATCH_SIZE is given
#: (s15 novice, finding 1): a batch of 6 there stored nothing for 15 minutes and Ctrl-C lost it all; one judgment at a
#: time stores each verdict as it comes (about twice as slow in all: s9 measured 126 s in one batch of 8 against
#: 268 s one at a time for 4 demo judgments). A GPU keeps the default (``cli.commands.cpu_batch_size`` applies it).
CPU_BATCH_SIZE = 1


def _judge_batch_size() -> int:
    # judge_runtime names no constant for it: its batch size is the default of Judge.judge_many
    # (also rate_many and the candidate generator), read from the signature rather than repeated here.
    return int(inspect.signature(Judge.judge_many).parameters["batch_size"].default)


def _alpha() -> float:
    from analysis.defaults import ALPHA

    return ALPHA


def _n_bootstrap() -> int:
    from analysis.defaults import N_BOOTSTRAP

    return N_BOOTSTRAP


def _aggregation() -> str:
    from analysis.defaults import AGGREGATION

    return AGGREGATION


def _epsilon(kind: str) -> Callable[[], float]:
    def load() -> float:
        from analysis.defaults import ALT_TEST_EPSILON

        return ALT_TEST_EPSILON[kind]

    return load


# ----------------------------------------------------------------------------------------------- rows

STORAGE = (
    Setting(
        "home",
        Path,
        "data directory: the SQLite database and the first admin password",
        "storage",
        default=Path("~/.judge-studio"),
        commands=STORE_COMMANDS,
    ),
    Setting(
        "database_url",
        str,
        "SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db (empty: judge-studio.sqlite3 in the data directory)",
        "storage",
        default="",
        commands=STORE_COMMANDS,
    ),
)

JUDGE = (
    Setting(
        "judge_model",
        str,
        "the judge: smollm2-demo (the embedded demo judge), a model folder, a .gguf file, a cached hub id, "
        "or an OpenAI-compatible server as openai:<served-name>@http://host:port/v1",
        "judge",
        commands=JUDGE_COMMANDS,
        **_spec("model"),
    ),
    Setting(
        "judge_profile",
        str,
        "prompt and parse format: pandalm, judgelm, mtbench-pair, prometheus2-relative, offsetbias, selene-pairwise "
        "or arena-hard (rate: --rating-profile)",
        "judge",
        commands=PAIR_JUDGE_COMMANDS,
        **_spec("profile"),
    ),
    Setting(
        "quantization",
        str,
        "auto: bitsandbytes NF4 on CUDA, the weights as they are on the CPU",
        "judge",
        commands=JUDGE_COMMANDS,
        choices=tuple(QUANTIZATIONS),
        **_spec("quantization"),
    ),
    Setting("device", str, "auto, cpu, cuda, cuda:1, ...", "judge", commands=JUDGE_COMMANDS, **_spec("device")),
    Setting(
        "decode_loop",
        str,
        "greedy decoding: compiled (static KV cache + torch.compile), static (static cache, eager), generate "
        "(transformers' generate); auto: compiled on CUDA, generate on the CPU. Beam search always uses generate",
        "judge",
        commands=JUDGE_COMMANDS,
        choices=tuple(DECODE_LOOPS),
        **_spec("decode_loop"),
    ),
    Setting(
        "decoding",
        str,
        "decoding preset of the profile: fast (greedy) or released (PandaLM: 4 beams, repetition penalty 1.2)",
        "judge",
        commands=JUDGE_COMMANDS,
        **_spec("decoding"),
    ),
    Setting(
        "max_new_tokens",
        int,
        "new tokens the judge may write per judgment",
        "judge",
        commands=JUDGE_COMMANDS,
        minimum=1,
        **_spec("max_new_tokens"),
    ),
    Setting("seed", int, "random seed of sampling presets", "judge", commands=JUDGE_COMMANDS, **_spec("seed")),
    Setting(
        "verdict_mode",
        str,
        "generate: parse the judge's own output; constrained: the verdict word from one forward pass, then "
        "the reason; auto: constrained for the demo judge in a profile with verdict words first (it never "
        "writes a parseable verdict on its own), generate otherwise; the Python API's load_judge() defaults to "
        "auto too",
        "judge",
        commands=PAIR_JUDGE_COMMANDS,
        choices=("auto", "generate", "constrained"),
        **_spec("verdict_mode"),
    ),
    Setting(
        "both_orders",
        bool,
        "cancel position bias by judging both presentation orders. Constrained verdicts average p(1)/p(2) "
        "over both orders in one judgment (on by default, in the Python API too: load_judge(both_orders=False) "
        "judges the order given only). evaluate: not given keeps the judge's choice; --both-orders judges every "
        "pair in both orders as two verdicts of their own and combines them (agree: that verdict, else tie), "
        "with swap consistency; --no-both-orders judges one order only",
        "judge",
        commands=("evaluate",),
        **_spec("both_orders"),
    ),
    Setting(
        "rating_mode",
        str,
        "rate: parse reads the rating the judge writes as [[rating]] (none written: unparsed); expected lets the "
        "judge write its explanation, then reads its probabilities of the ratings 1-10 after 'Rating: [[' in one "
        "forward pass and stores their mean, as G-Eval does (local judges only)",
        "judge",
        commands=("rate",),
        choices=tuple(RATING_MODES),
        **_spec("rating_mode"),
    ),
    Setting(
        "rating_profile",
        str,
        "rate: the single-answer profile, 1-10 (mtbench-single) or 1-5 with a rubric (prometheus2-absolute, "
        "selene-absolute); with --session it must rate on the session's scale and grades against its rubric",
        "judge",
        default="mtbench-single",
        source="orchestration.service.RATING_PROFILE",
        commands=("rate",),
        choices=SINGLE_PROFILES,
    ),
    Setting(
        "batch_size",
        int,
        "judgments per batch. judge and rate on the CPU: 1 unless this is given, so each verdict is stored as it comes "
        "and Ctrl-C keeps what was done (a larger batch is faster in all, but stores nothing until the batch ends)",
        "judge",
        load=_judge_batch_size,
        source="judge_runtime.Judge.judge_many(batch_size=...)",
        commands=JUDGE_COMMANDS,
        minimum=1,
    ),
    Setting(
        "remote_timeout_s",
        float,
        "remote judges (openai:NAME@URL): seconds one request may wait for the server's answer before the run "
        "stops with a message (what is stored is kept; the same command continues). While a request waits, the "
        "judging bar says so",
        "judge",
        commands=JUDGE_COMMANDS,
        minimum=1,
        **_spec("remote_timeout_s"),
    ),
    Setting(
        "empty_response",
        str,
        "a comparison with an empty (or blank) response, which the judge refuses: leave-out stores the refusal and "
        "leaves it out of the judge's figures (counted in one line by metrics, report and the card); loses decides "
        "it without asking the judge, the empty response losing (both empty: a tie), stored with a reason saying so. "
        "A later run under the other rule decides those comparisons again",
        "judge",
        # the value itself: importing analysis.empty_responses loads the statistics at start-up;
        # tests/test_s15_judgeopts.py checks that the two agree
        default="leave-out",
        source="analysis.empty_responses.DEFAULT_RULE",
        commands=("serve", "judge"),
        choices=("leave-out", "loses"),
    ),
)

SERVER = (
    Setting(
        "host",
        str,
        "address to listen on",
        "server",
        default="127.0.0.1",
        commands=("serve", "serve-api", "users invite"),
    ),
    Setting(
        "port",
        int,
        "port to listen on (1-65535)",
        "server",
        default=7860,
        commands=("serve", "serve-api", "users invite"),
        minimum=1,
        maximum=65535,
    ),
    Setting(
        "api_workers",
        int,
        "worker processes of `serve-api` (the REST API alone; PostgreSQL for more than one writer at a time)",
        "server",
        default=2,
        commands=("serve-api",),
        flag="--workers",
        runtime=False,
    ),
    Setting(
        "api_threads",
        int,
        "REST requests one server process works on at once (the rest wait their turn); each waits for Python's "
        "lock after every database round trip while the others run, so few threads per process and more "
        "processes (serve-api --workers) go faster: 50 clients back to back on 2 cores, PostgreSQL, 2 workers, "
        "4 threads instead of 8 gave 11-16% more submits/s in one run (docs/NOTES.md)",
        "server",
        default=4,
        commands=("serve", "serve-api"),
    ),
    Setting(
        "seed_demo",
        bool,
        "seed the demo dataset and its sessions into an empty database on start",
        "server",
        default=True,
        commands=("serve",),
    ),
    Setting(
        "judge_demo_on_start",
        bool,
        "with the demo judge: judge the demo dataset in the background on start (what is already judged is "
        "skipped), so the dashboard, case study and review queue show real verdicts; about 5-10 minutes on 2 cores; "
        "off, the demo judge loads at its first use (another judge model still loads in the background at start, "
        "so its first use does not wait)",
        "server",
        default=True,
        commands=("serve",),
    ),
)

NETWORK = (
    Setting(
        "public_url",
        str,
        "the address people use behind an HTTPS proxy, e.g. https://judge.example.org: the one origin "
        "trusted, and the start of invite links",
        "network",
        default="",
        commands=("serve", "serve-api"),
    ),
    Setting(
        "forwarded_allow_ips",
        str,
        "comma-separated proxy addresses whose X-Forwarded-* headers are believed",
        "network",
        default="",
        commands=("serve", "serve-api"),
    ),
    Setting(
        "max_upload_mb",
        int,
        "largest file an upload may be (MB)",
        "network",
        default=20,
        commands=("serve", "serve-api"),
        minimum=1,
    ),
    Setting(
        "max_request_mb",
        int,
        "largest request body a signed-in caller may send to the REST API and the pages (MB); without a login "
        "or an API token: 64 KB; Gradio's own calls: 8 MB; file uploads: max_upload_mb",
        "network",
        default=2,
        commands=("serve", "serve-api"),
        minimum=1,
        maximum=1024,
    ),
    Setting(
        "session_hours", int, "a login lasts this many hours", "network", default=72, commands=("serve", "serve-api")
    ),
    Setting(
        "token_days",
        int,
        "a new REST API token works this many days (POST /api/v1/tokens may ask for 1 to 365: expires_in_days)",
        "network",
        default=90,  # annotation_store.accounts.DEFAULT_TOKEN_DAYS (not imported: evaluation reads this table and
        # must not import the store; tests/test_s14_tokens.py checks the two agree)
        commands=("serve", "serve-api", "users token"),
        minimum=1,
        maximum=365,  # annotation_store.accounts.MAX_TOKEN_DAYS (tests/test_s14_tokens.py checks they agree)
    ),
    Setting(
        "login_attempts",
        int,
        "failed logins allowed per account in 15 minutes (per address: 5 times as many, "
        "so one office behind a NAT is not locked out by one person's typos); also the wrong invite links "
        "(unknown, used or expired) one address may try in 15 minutes before every invite page answers 429",
        "network",
        default=10,
        commands=("serve", "serve-api"),
    ),
)

STATISTICS = (
    Setting(
        "alpha",
        float,
        "significance level of the partial order's sign tests and 1 - the level of the win-rate and accuracy "
        "intervals (the alt-test's FDR level is fixed at 0.05; the dashboard and REST use the default)",
        "statistics",
        load=_alpha,
        source="analysis.defaults.ALPHA",
        commands=("metrics", "report", "evaluate"),
        env=False,
        runtime=False,
    ),
    Setting(
        "n_bootstrap",
        int,
        "bootstrap resamples behind the Bradley-Terry intervals",
        "statistics",
        load=_n_bootstrap,
        source="analysis.defaults.N_BOOTSTRAP",
        commands=("metrics", "report", "evaluate"),
        flag="--bootstrap",
        env=False,
        runtime=False,
        minimum=1,
    ),
    Setting(
        "aggregation",
        str,
        "how people's labels become one label per comparison for every people figure: majority or "
        "dawid-skene (annotator-quality weighted); both "
        "are always shown side by side",
        "statistics",
        load=_aggregation,
        source="analysis.defaults.AGGREGATION",
        commands=("metrics", "report"),
        env=False,
        runtime=False,
    ),
    Setting(
        "alt_test_epsilon_expert",
        float,
        "margin epsilon of the alternative-annotator test against expert annotators (Calderon et al. 2025)",
        "statistics",
        load=_epsilon("expert"),
        source="analysis.defaults.ALT_TEST_EPSILON",
        commands=("metrics", "report"),
        env=False,
        runtime=False,
    ),
    Setting(
        "alt_test_epsilon_skilled",
        float,
        "margin epsilon of the alternative-annotator test against skilled annotators (Calderon et al. 2025)",
        "statistics",
        load=_epsilon("skilled"),
        source="analysis.defaults.ALT_TEST_EPSILON",
        commands=("metrics", "report"),
        env=False,
        runtime=False,
    ),
    Setting(
        "alt_test_epsilon_crowd",
        float,
        "margin epsilon of the alternative-annotator test against crowd annotators (Calderon et al. 2025)",
        "statistics",
        load=_epsilon("crowd"),
        source="analysis.defaults.ALT_TEST_EPSILON",
        commands=("metrics", "report"),
        env=False,
        runtime=False,
    ),
)

#: How verdicts are read (at read time: a new value changes every figure without re-judging).
VERDICT_READING = (
    Setting(
        "uncertain_margin",
        float,
        "a judge verdict whose top two verdict probabilities lie less than this apart is shown and counted as "
        "uncertain (not a win, not a tie) in every page, export and figure; only verdicts with probabilities "
        "(constrained / forward-pass, remote logprobs, custom prompts' markers scored) can be; 0 turns it off "
        "(docs/NOTES.md, Uncertain verdicts)",
        "statistics",
        # the number itself, not load=: this is a Settings attribute, and reading analysis.defaults would
        # import the statistics at start-up (`judge-studio --help` must stay light); tests/test_uncertain.py
        # checks that it equals analysis.defaults.UNCERTAIN_MARGIN
        default=0.1,
        source="analysis.defaults.UNCERTAIN_MARGIN",
        commands=("metrics", "evaluate", "report", "export"),  # export: its margin column records it
    ),
)

#: Every row but the session defaults (``settings.sessions.SESSION_SETTINGS``, which read the store's).
SETTINGS_TABLE: tuple[Setting, ...] = STORAGE + JUDGE + SERVER + NETWORK + STATISTICS + VERDICT_READING
BY_NAME: dict[str, Setting] = {row.name: row for row in SETTINGS_TABLE}


def rows_for(command: str, rows: Iterable[Setting] = SETTINGS_TABLE) -> list[Setting]:
    """The rows whose flag ``command`` (e.g. "serve", "users invite") takes, in table order."""
    return [row for row in rows if command in row.commands]


def checked_statistics(alpha: float | None = None, n_bootstrap: int | None = None, *, flags: bool = True) -> None:
    """Refuse a significance level outside (0, 1) or too few bootstrap resamples, naming the flag (``flags``)
    or the keyword: the one check behind ``metrics``, ``report``, ``evaluate`` and the pipeline, made before
    any figure is computed or model loaded (``--alpha 2`` made every pair significant). The flag takes at
    least the row's minimum (1); Python callers may pass ``n_bootstrap=0`` for no intervals (fast figures)."""
    if alpha is not None and not 0 < alpha < 1:
        raise ValueError(f"{BY_NAME['alpha'].cli_flag if flags else 'alpha'} must be between 0 and 1, got {alpha}.")
    if n_bootstrap is not None and flags:
        row = BY_NAME["n_bootstrap"]
        row.in_range(n_bootstrap, row.cli_flag or row.name)
    elif n_bootstrap is not None and n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be at least 0 (0: no intervals), got {n_bootstrap}.")
