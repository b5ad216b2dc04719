"""The few plain HTML pages outside Gradio (login, logout, invites): one template, escaped values only.

They load nothing (no remote script or style; the login page runs one inline script, allowed by its hash, that
removes the answer drafts), may not be framed, and send no Referer elsewhere.
"""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # same-origin: the form posts carry their Origin (the CSRF check reads it), and an invite token
    # in the address never leaves in a Referer to another site
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Judge Studio · {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 28rem; margin: 4rem auto; padding: 0 1rem; color: #1f2937; }}
h1 {{ font-size: 1.4rem; }}
label {{ display: block; margin: 0.8rem 0 0.2rem; font-weight: 600; }}
input {{ width: 100%; padding: 0.5rem; font-size: 1rem; box-sizing: border-box; }}
button {{ margin-top: 1.2rem; padding: 0.6rem 1.2rem; font-size: 1rem; }}
.error {{ background: #fee2e2; border: 1px solid #f87171; padding: 0.6rem; border-radius: 4px; }}
.hint {{ color: #6b7280; font-size: 0.9rem; }}
</style>
</head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    """A page around ``body`` (HTML the caller built from escaped values)."""
    return HTMLResponse(
        _PAGE.format(title=html.escape(title), body=body), status_code=status_code, headers=PAGE_HEADERS
    )


def error_paragraph(message: str) -> str:
    return f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
