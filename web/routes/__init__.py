"""The REST API under ``/api/v1``, one router per resource (OpenAPI schema at ``/api/v1/openapi.json``,
docs at ``/api/v1/docs``).

Every call but ``POST /tokens`` carries ``Authorization: Bearer <token>``: no or an unknown token is
401, a role that may not is 403. Roles as in the UI: annotators list sessions, lease items and
submit labels and ratings; reviewers and admins also read comparisons (with model names and judge
verdicts), responses (with model names, judge ratings and people's ratings), metrics and exports,
list the review queue and set final labels (``reviews``); only admins read and set gold comparisons
and responses (``gold``, ``gold-responses``) and import dataset files (``POST /datasets/import``, a multipart
upload). Handlers only call orchestration; errors come back as
``{"detail": "..."}`` with the status of their type (``web.errors``, the one place that maps them).
"""

from fastapi import APIRouter

from web.routes import (
    comparisons,
    datasets,
    exports,
    gold,
    imports,
    labels,
    metrics,
    ratings,
    report_card,
    responses,
    reviews,
    sessions,
    tokens,
)
from web.routes.common import API_PREFIX

ROUTERS: tuple[APIRouter, ...] = (
    datasets.router,
    imports.router,
    comparisons.router,
    responses.router,
    sessions.router,
    labels.router,
    ratings.router,
    metrics.router,
    report_card.router,
    exports.router,
    reviews.router,
    gold.router,
    tokens.router,
)

__all__ = ["API_PREFIX", "ROUTERS"]
