"""Task s12 "reportscope", item 4: a judging bar that sat at 0/6 for minutes (tester "presenter", finding 4).

Six items at batch size 8 are one batch of 6, said so before the bar; and the bar's elapsed time moves while
a batch runs (a redraw each second on a terminal).
"""

from __future__ import annotations

import io
import time

from judge_runtime.batching import batches_in_words, run_in_batches, ticking
from orchestration.service import batch_note


def test_the_batch_is_capped_at_the_total_and_said_so() -> None:
    assert batch_note(6, 8) == (
        "Judging 6 comparisons in one batch of 6: the progress moves when the batch is done "
        "(--batch-size 1: after each judgment, but slower in all)."
    )
    assert batch_note(20, 8).startswith("Judging 20 comparisons in batches of 8: the progress moves after each batch")
    assert batch_note(8, 8).startswith("Judging 8 comparisons in one batch of 8:")
    assert batches_in_words(3, 8) == "in one batch of 3"
    seen: list[int] = []

    def run(batch: list[int]) -> list[int]:
        seen.append(len(batch))
        return batch

    assert run_in_batches([5, 1, 3, 2, 4, 6], 8, run) == list(range(6))
    assert seen == [6]
    seen.clear()
    run_in_batches(list(range(10)), 4, run)
    assert seen == [4, 4, 2]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Bar:
    disable = False

    def __init__(self) -> None:
        self.redraws = 0

    def refresh(self) -> None:
        self.redraws += 1


def test_the_bar_is_redrawn_while_a_batch_runs_on_a_terminal_only() -> None:
    bar = _Bar()
    with ticking(bar, 0.05, stream=_Terminal()):
        time.sleep(0.4)  # one long batch: no result comes, but the bar's elapsed time must move
    assert bar.redraws >= 3
    after = bar.redraws
    time.sleep(0.15)
    assert bar.redraws == after  # stopped with the block

    logged = _Bar()
    with ticking(logged, 0.05, stream=io.StringIO()):  # a log file: every redraw would be a line of its own
        time.sleep(0.2)
    assert logged.redraws == 0


def test_a_real_tqdm_bar_shows_the_elapsed_time_moving() -> None:
    from tqdm import tqdm

    screen = _Terminal()
    layout = "{n_fmt}/{total_fmt} [{elapsed}]"
    with tqdm(total=6, file=screen, bar_format=layout, mininterval=0) as bar, ticking(bar, 0.3, stream=screen):
        time.sleep(1.3)
    drawn = screen.getvalue()
    assert "0/6 [00:00]" in drawn and "0/6 [00:01]" in drawn
