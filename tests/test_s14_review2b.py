"""Session 14, review 2, findings 2 and 3.

2. A forwarded host is compared with its port: ``public.example:6666`` is not ``public.example`` (with and
   without ``public_url``), and a scheme's default port is the same as none.
3. The Admin page's checkup counts its run as in use (``JudgeActivity.claim_run``): a ``judge_dataset`` of the
   same process that fails meanwhile does not delete the run the checkup is storing into.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from test_s14_remotefix import FakeServer, _judge

from annotation_store import DEMO_DATASET_NAME
from judge_runtime import Judge, JudgeResult, PairCase, RemoteJudgeError
from judge_runtime.profiles import ParsedJudgment
from orchestration import Settings, Studio
from orchestration.checkup import CheckupReport, run_checkup
from orchestration.service import RUN_NOT_KEPT


# ---------------------------------------------------------------------- 2: X-Forwarded-Host with its port
def _forwarded_host(public_origin: str | None, host: bytes, claimed: bytes, proto: bytes = b"https") -> bytes | None:
    """The X-Forwarded-Host the app behind ``TrustedProxy`` sees (None: removed)."""
    from web.proxy import TrustedProxy

    seen: list[dict[bytes, bytes]] = []

    async def app(scope: Any, _receive: Any, _send: Any) -> None:
        seen.append(dict(scope["headers"]))

    proxy = TrustedProxy(app, trusted="127.0.0.1", public_origin=public_origin)
    scope = {
        "type": "http",
        "client": ("127.0.0.1", 4321),
        "scheme": "http",
        "headers": [(b"host", host), (b"x-forwarded-host", claimed), (b"x-forwarded-proto", proto)],
    }
    asyncio.run(proxy(scope, None, None))  # type: ignore[arg-type]
    return seen[-1].get(b"x-forwarded-host")


@pytest.mark.parametrize("public_origin", [None, "https://public.example"])
def test_a_forwarded_host_naming_another_port_is_removed(public_origin: str | None) -> None:
    assert _forwarded_host(public_origin, b"public.example", b"public.example:6666") is None
    assert _forwarded_host(public_origin, b"public.example", b"public.example") == b"public.example"
    # the scheme's default port is no port
    assert _forwarded_host(public_origin, b"public.example", b"public.example:443") == b"public.example:443"


def test_a_forwarded_host_keeps_a_non_default_port_it_shares() -> None:
    assert _forwarded_host(None, b"judge.example:8443", b"judge.example:8443") == b"judge.example:8443"
    assert _forwarded_host(None, b"judge.example:8443", b"judge.example") is None
    assert _forwarded_host("https://judge.example:8443", b"x", b"judge.example:8443") == b"judge.example:8443"
    assert _forwarded_host("https://judge.example:8443", b"x", b"judge.example:8444") is None
    assert _forwarded_host("http://judge.example", b"x", b"judge.example:80") == b"judge.example:80"
    assert _forwarded_host("http://judge.example", b"x", b"judge.example:443") is None  # not http's default


# ---------------------------------------------------------------------- 3: the checkup claims its run
class WaitingJudge:
    """A checkup judge with the Studio judge's fingerprint: says when it starts judging, then waits for ``go``."""

    def __init__(self, like: Any) -> None:
        self.fingerprint = dict(like.fingerprint)
        self.fingerprint_key = like.fingerprint_key
        self.profile = like.profile
        self.started = threading.Event()
        self.go = threading.Event()

    def validate(self, case: PairCase) -> None:
        return None

    def judge_many(
        self, cases: Sequence[PairCase], *, batch_size: int, on_result: Callable[[int, JudgeResult], None], **_: Any
    ) -> list[JudgeResult]:
        self.started.set()
        assert self.go.wait(60)
        results = []
        for index in range(len(cases)):
            result = JudgeResult(ParsedJudgment("1", "ok"), "1\n", 10, 2, 0.01)  # type: ignore[arg-type]
            on_result(index, result)
            results.append(result)
        return results


def test_a_failed_judge_run_keeps_the_run_a_checkup_is_judging_into(db_path: Path, shared_data: Path) -> None:
    server = FakeServer("500")  # every judgment of the Studio's judge fails: its new run holds no verdict
    try:
        judge = _judge(server)
        assert not judge.fingerprint.get("both_orders")  # the checkup judges with this very fingerprint
        studio = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: judge)
        checkup_judge = WaitingJudge(judge)
        reports: list[CheckupReport] = []
        errors: list[BaseException] = []

        def checkup() -> None:
            try:
                reports.append(run_checkup(studio, cast(Judge, checkup_judge), limit=2, data_dir=shared_data))
            except BaseException as exc:  # noqa: BLE001 - said by the assert below
                errors.append(exc)

        thread = threading.Thread(target=checkup)
        failing = judge.judge_many

        def judge_many(*args: Any, **kwargs: Any) -> Any:
            # meanwhile the Admin page's checkup finds the run this call made and starts judging into it
            thread.start()
            assert checkup_judge.started.wait(60)
            return failing(*args, **kwargs)

        judge.judge_many = judge_many  # type: ignore[method-assign]
        with pytest.raises(RemoteJudgeError) as failed:
            studio.judge_dataset(DEMO_DATASET_NAME, limit=2)
        assert RUN_NOT_KEPT not in str(failed.value)
        run_id = studio.store.judge_run_id(judge.fingerprint_key)
        assert run_id is not None  # still there for the checkup

        checkup_judge.go.set()
        thread.join(60)
        assert not errors, errors
        (suite,) = reports[0].suites
        assert suite.run_id == run_id and suite.judged == 4
        verdicts = studio.store.judge_verdicts(suite.dataset)
        assert len(verdicts[verdicts["run_id"] == run_id]) == 4  # the checkup's judgments, stored in the run
        assert studio.activity.drop_unshared_run(run_id, lambda _run: True) is True  # released: no claim left
        studio.store.close()
    finally:
        server.close()
