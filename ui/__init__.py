"""The Gradio interface. ``build_ui(studio)`` returns the Blocks; ``serve`` launches them."""

from ui.layout import build_ui, css_paths, head_html

__all__ = ["build_ui", "css_paths", "head_html"]
