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
.notice {{ background: #fef3c7; border: 1px solid #f59e0b; padding: 0.6rem; border-radius: 4px; }}
input:focus-visible, button:focus-visible, a:focus-visible {{ outline: 3px solid #2563eb; outline-offset: 2px; }}
@media (prefers-color-scheme: dark) {{
  html {{ color-scheme: dark; }}
  body {{ background: #0b0f19; color: #e5e7eb; }}
  input {{ background: #1f2937; color: #f9fafb; border: 1px solid #6b7280; }}
  button {{ background: #374151; color: #f9fafb; border: 1px solid #9ca3af; }}
  a {{ color: #93c5fd; }}
  .error {{ background: #450a0a; border-color: #f87171; color: #fecaca; }}
  .notice {{ background: #422006; border-color: #f59e0b; color: #fde68a; }}
  .hint {{ color: #9ca3af; }}
  input:focus-visible, button:focus-visible, a:focus-visible {{ outline-color: #93c5fd; }}
}}
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
