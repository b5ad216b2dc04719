"""The demo dataset written for Judge Studio (``data/demo_dataset.json``, CC0)."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

DEMO_DATASET_NAME = "judge-studio-demo"


def load_demo_dataset() -> dict[str, Any]:
    text = files("annotation_store").joinpath("data/demo_dataset.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
