"""The web app: FastAPI with the REST API, invite pages and the Gradio UI mounted behind its login."""

from web.server import create_app

__all__ = ["create_app"]
