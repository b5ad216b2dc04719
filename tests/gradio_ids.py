"""Find a Gradio endpoint's outputs by ``elem_id`` instead of by position.

- Over HTTP, ``gradio_client`` returns an endpoint's outputs in order: ``outputs_by_id`` maps them to
  the outputs' elem_ids using the app's config (``client.config``), skipping what the client skips
  (``gr.State`` and other API-less components), just as ``gradio_client`` does.
- In process, page handlers return ``{component: value}``: ``by_id`` keys that by elem_id.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio_client import Client
from gradio_client import utils as client_utils


def endpoint(config: dict[str, Any], api_name: str) -> dict[str, Any]:
    name = api_name.lstrip("/")
    for dependency in config["dependencies"]:
        if dependency.get("api_name") == name:
            return dependency
    raise AssertionError(f"no endpoint named {api_name!r}")


def output_ids(config: dict[str, Any], api_name: str) -> list[str | None]:
    """The elem_ids of the outputs ``gradio_client`` returns for ``api_name``, in its order."""
    components = {c["id"]: c for c in config["components"]}
    ids = []
    for component_id in endpoint(config, api_name)["outputs"]:
        component = components[component_id]
        if component.get("skip_api", component["type"] in client_utils.SKIP_COMPONENTS):
            continue
        ids.append(component.get("props", {}).get("elem_id"))
    return ids


def outputs_by_id(client: Client, api_name: str, result: Any) -> dict[str | None, Any]:
    """``client.predict(..., api_name=api_name)``'s result (or one streamed step) keyed by elem_id."""
    ids = output_ids(client.config, api_name)
    values = result if len(ids) > 1 else (result,)
    assert len(values) == len(ids), (ids, values)
    return dict(zip(ids, values, strict=True))


def predict(client: Client, api_name: str, *args: Any) -> dict[str | None, Any]:
    return outputs_by_id(client, api_name, client.predict(*args, api_name=api_name))


def by_id(update: dict[Any, Any]) -> dict[str | None, Any]:
    """A handler's ``{component: value}`` keyed by the components' elem_ids."""
    assert isinstance(update, dict), f"handlers return {{component: value}}, got {type(update).__name__}"
    return {component.elem_id: value for component, value in update.items()}


def handler(demo: gr.Blocks, api_name: str) -> Any:
    """The Python function behind an endpoint of ``demo`` (called directly, without a server)."""
    for block_fn in demo.fns.values():
        if block_fn.api_name == api_name:
            assert block_fn.fn is not None
            return block_fn.fn
    raise AssertionError(f"no event with api_name {api_name!r}")


def event_output_ids(demo: gr.Blocks, api_name: str) -> list[str | None]:
    """The elem_ids of an event's outputs, straight from the Blocks (no server)."""
    for block_fn in demo.fns.values():
        if block_fn.api_name == api_name:
            return [getattr(c, "elem_id", None) for c in block_fn.outputs]
    raise AssertionError(f"no event with api_name {api_name!r}")
