"""The assistant: a question about the project, answered by the brain's ``assistant_ask`` (the project's
language model citing its sources as [1], [2], or — with none configured — the passages that answer it best),
with each source a link to where it is: a scene or a shot to the screenplay at that scene, a character to the
story bible, the logline or outline to its file."""

from __future__ import annotations

import re
from urllib.parse import quote

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from moviegen.brain.server.web.calls import call
from moviegen.brain.server.web.pages import checked, guarded, project_context
from moviegen.brain.server.web.render import page, part
from moviegen.core.errors import UsageError

CITATION = re.compile(r"\[(\d{1,3})\]")
STORY_FILES = {"logline": "logline", "outline": "outline", "character": "bible", "place": "bible", "bible": "bible"}
QUESTION_LIMIT = 2000  # assistant_ask's own limit


def link_of(project: str, source: dict) -> str | None:
    """Where a source is in the web view, or None when it has no page (then it is shown without a link)."""
    base = f"/p/{quote(project)}"
    if source.get("scene"):
        return f"{base}/text/screenplay#scene-{quote(str(source['scene']))}"
    name = STORY_FILES.get(source.get("kind") or "")
    return f"{base}/text/{name}" if name else None


def with_links(text: str, links: dict[int, str | None]) -> Markup:
    """The answer's text, escaped, with each citation [n] of a source that has a page made a link to it."""
    out, at = [], 0
    for m in CITATION.finditer(text):
        out.append(escape(text[at : m.start()]))
        href = links.get(int(m.group(1)))
        out.append(Markup('<a class="cite" href="{}">{}</a>').format(href, m.group(0)) if href else escape(m.group(0)))
        at = m.end()
    out.append(escape(text[at:]))
    return Markup("").join(out)


def answer_context(project: str, question: str, result: dict) -> dict:
    sources = [{**s, "href": link_of(project, s)} for s in result.get("sources") or []]
    links = {s["n"]: s["href"] for s in sources}
    cited = set(result.get("citations") or [])
    for s in sources:
        s["cited"] = s["n"] in cited
    text = result.get("answer")
    return {"project": project, "question": question, "mode": result.get("mode", ""), "llm": result.get("mode") == "llm",
            "answer": with_links(text, links) if text else None, "sources": sources,
            "warning": result.get("warning"), "provider": result.get("provider"), "model": result.get("model")}  # fmt: skip


async def ask_page(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        return page(request, "ask.html", **project_context(request, project, "ask"))

    return await guarded(request, handle)


async def ask_post(request: Request) -> Response:
    """The question from the form: the answer and its sources, as a fragment (the whole page without htmx)."""
    project = request.path_params["project"]

    async def handle():
        await checked(request)
        form = await request.form()
        question = " ".join(str(form.get("question") or "").split())
        if not question:
            raise UsageError("the question is empty", "type a question about the project, then Ask")
        if len(question) > QUESTION_LIMIT:
            raise UsageError(f"the question is over {QUESTION_LIMIT} characters", "ask something shorter")
        result = await call(request, "assistant_ask", project_id=project, question=question)
        context = answer_context(project, question, result)
        if request.headers.get("hx-request"):
            return part(request, "_answer.html", **context)
        return page(request, "ask.html", **project_context(request, project, "ask"), **context)

    return await guarded(request, handle)
