"""The Gradio interface: one module per page, plots and safe rendering. ``build_ui(studio)`` returns the
Blocks; the web package mounts it.

``build_ui``, ``css_paths`` and ``head_html`` are looked up lazily (PEP 562): importing a module of this package
(``ui.card_document``, ``ui.render``, ``ui.plots``) does not build, or import, the whole Gradio interface, so
``judge-studio report`` starts without Gradio (s14)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ui.layout import build_ui, css_paths, head_html

__all__ = ["build_ui", "css_paths", "head_html"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from ui import layout

        return getattr(layout, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
