"""The Gradio interface and the web app around it. ``build_ui(studio)`` returns the Blocks;
``create_app(studio)`` the FastAPI app (REST API, invite pages, the UI behind its login page)."""

from ui.layout import build_ui, css_paths, head_html
from ui.server import create_app

__all__ = ["build_ui", "create_app", "css_paths", "head_html"]
