"""Pages and fragments from the Jinja2 templates, with what every page needs (the caller, the CSRF token), and
our errors as one line a person can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from moviegen.brain.server.web import csrf
from moviegen.brain.server.web.calls import principal
from moviegen.core.errors import MoviegenError

HERE = Path(__file__).parent
HTMX = "htmx-2.0.11.min.js"  # vendored and pinned: static/README.md
STATUS = {"access_denied": 403, "not_found": 404, "project_not_found": 404, "conflict": 409, "usage": 400,
          "csrf": 403, "invalid_login": 401, "too_many_attempts": 429}  # fmt: skip

ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, auto_reload=False,
    undefined=jinja2.ChainableUndefined,
)  # fmt: skip


def page(request: Request, template: str, /, http_status: int = 200, **context: Any) -> HTMLResponse:
    """A whole page, or (for htmx, ``part``) one template alone."""
    token = csrf.token_of(request)
    me = principal(request)
    context = {"me": me, "csrf": token, "htmx": HTMX, "project": None, **context}
    response = HTMLResponse(ENV.get_template(template).render(context), status_code=http_status,
                            headers={"Cache-Control": "no-store"})  # fmt: skip
    csrf.remember(request, response, token)
    return response


def part(request: Request, template: str, /, http_status: int = 200, **context: Any) -> HTMLResponse:
    return page(request, template, http_status, **context)


def failure(request: Request, exc: MoviegenError) -> Response:
    """A refusal or failure: for htmx, one line put into the page's flash area; else an error page."""
    status = STATUS.get(exc.code, 500 if exc.code == "internal" else 400)
    context = {"code": exc.code, "message": exc.message, "hint": exc.hint, "status": status}
    if request.headers.get("hx-request"):
        response = part(request, "_error.html", status, **context)
        response.headers.update({"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
        return response
    return page(request, "error.html", status, **context)
