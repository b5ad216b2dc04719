"""The Gradio interface: one module per page, plots and safe rendering. ``build_ui(studio)`` returns the
Blocks; the web package mounts it."""

from ui.layout import build_ui, css_paths, head_html

__all__ = ["build_ui", "css_paths", "head_html"]
