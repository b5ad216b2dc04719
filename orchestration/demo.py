"""The embedded default, as explicit steps: seed the demo data (dataset, annotation and grading
sessions, gold items) and, on a first start with the demo judge, judge the demo dataset in the
background so that the dashboard, the case study and the review queue show something real.

``Studio.open`` calls ``seed_demo`` when ``settings.seed_demo`` is on; ``judge-studio serve`` starts
``judge_demo_in_background`` when ``settings.judge_demo_on_start`` is on and the judge is the demo
judge. Nothing here runs as a side effect of a constructor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from annotation_store import DEMO_DATASET_NAME, Store, load_demo_dataset

DEMO_SESSION = "Demo session"
DEMO_GRADING_SESSION = "Demo grading session"
DEMO_GOLD = 6  # comparisons of the demo data whose answer is fixed by design, used as attention checks

ANNOTATION_GUIDELINES = (
    "Read the instruction (and input, if any), then both responses. Choose the response that "
    "answers the instruction better: correct first, then complete, then clear and concise. "
    "Length is not quality: a longer answer is better only if the extra text helps. Choose "
    "**Tie** when both are equally good or equally bad. **Skip** when you cannot judge the "
    "item (e.g. it needs expertise you do not have); **Flag** an item that is broken or "
    "offensive. Model names and the judge's verdict are hidden until you submit."
)
GRADING_GUIDELINES = (
    "Rate the response on its own from **1** (useless or wrong) to **10** (correct, complete, "
    "clear), as MT-Bench's single-answer judge does: helpfulness, relevance, accuracy, depth, "
    "creativity and level of detail. Where a reference answer is shown, check correctness against "
    "it first. Length is not quality. **Skip** when you cannot judge it; **Flag** a broken or "
    "offensive item. The model's name and the judge's rating are hidden until you submit."
)
GOLD_RATIONALE = (
    "When the demo data was written, one of these responses was made clearly better: "
    "correct and complete, where the other is wrong, truncated or off-topic."
)


def seed_demo(store: Store) -> None:
    """The demo dataset and its two sessions, once (a second call adds nothing). A database that holds
    other datasets but not the demo one gets nothing: an admin deleted the demo dataset, and it must not
    come back on the next start (only an empty database is seeded afresh)."""
    datasets = store.dataset_names()
    if datasets and DEMO_DATASET_NAME not in datasets:
        return
    data = load_demo_dataset()
    store.seed_dataset(data)
    names = {s.name for s in store.sessions()}
    if DEMO_SESSION not in names:
        _seed_annotation_session(store, [m["name"] for m in data["models"]])
    if DEMO_GRADING_SESSION not in names:
        store.save_session(
            DEMO_GRADING_SESSION, DEMO_DATASET_NAME, kind="single", overlap=2, guidelines=GRADING_GUIDELINES
        )


def _seed_annotation_session(store: Store, quality_order: list[str]) -> None:
    """3 annotators per comparison, 1 gold check in 10; gold items are comparisons whose two models are
    3+ places apart in the designed quality order."""
    rank = {name: i for i, name in enumerate(quality_order)}
    table = store.comparison_table(DEMO_DATASET_NAME)
    far = table[(table["model1"].map(rank) - table["model2"].map(rank)).abs() >= 3].head(DEMO_GOLD)
    for comparison_id, model1, model2 in zip(far["id"].tolist(), far["model1"], far["model2"], strict=True):
        better = "1" if rank[str(model1)] < rank[str(model2)] else "2"
        store.set_gold(int(comparison_id), better, GOLD_RATIONALE)
    store.save_session(DEMO_SESSION, DEMO_DATASET_NAME, overlap=3, gold_rate=0.1, guidelines=ANNOTATION_GUIDELINES)


@dataclass
class BackgroundRun:
    """Progress of the one background judge run (the first start's demo judging), read by the pages."""

    dataset: str | None = None
    done: int = 0
    total: int | None = None  # None until the judge has loaded and counted what is left
    state: str = "idle"  # idle | loading | judging | finished | failed
    error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, **changes: object) -> None:
        with self.lock:
            for name, value in changes.items():
                setattr(self, name, value)

    def message(self) -> str:
        """One line for the pages; empty when nothing runs in the background."""
        with self.lock:
            if self.state == "loading":
                return f"The demo judge is loading to judge {self.dataset} in the background…"
            if self.state == "judging":
                return (
                    f"The demo judge is judging {self.dataset} in the background: {self.done} of {self.total} "
                    "comparisons (figures fill in as it goes)."
                )
            if self.state == "failed":
                return f"Background judging of {self.dataset} stopped: {self.error}"
            return ""


def judge_demo_in_background(
    judge_dataset: Callable[..., object], progress: BackgroundRun, *, limit: int | None = None
) -> threading.Thread:
    """Judge the demo dataset with the app's judge in a daemon thread, reporting into ``progress``.

    ``judge_dataset`` is ``Studio.judge_dataset``: it skips what this judge already judged, so a
    restart after an interrupted first start carries on, and a finished one costs nothing."""

    def tick(done: int, total: int) -> None:
        progress.update(state="judging", done=done, total=total)

    def run() -> None:
        progress.update(dataset=DEMO_DATASET_NAME, state="loading", done=0, total=None)
        try:
            judge_dataset(DEMO_DATASET_NAME, limit=limit, on_progress=tick)
        except Exception as exc:  # shown on the pages; the app keeps serving
            progress.update(state="failed", error=str(exc))
            return
        progress.update(state="finished")

    thread = threading.Thread(target=run, name="demo-judging", daemon=True)
    thread.start()
    return thread
