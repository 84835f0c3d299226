"""Reading and editing the screenplay and the story files, and comments.

A save carries the text the editor started from (``base``) and its digest. When the file has not changed
since, it is written as it is; when someone saved meanwhile, the two edits are merged three-way by scene (the
screenplay) or by section (a story file) with moviegen.services.merge3, and written over what is on disk now
(its digest, so a third save in between refuses rather than being lost); edits of the same scene are refused
with the scenes named. Every read and write is a brain operation (screenplay_get/update, story_file_get/update),
so the tool's access check decides who may save.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

from moviegen.brain.server.web.calls import call
from moviegen.brain.server.web.pages import checked, guarded, project_context
from moviegen.brain.server.web.render import page, part
from moviegen.core.errors import ConflictError, UsageError
from moviegen.core.fountain.rules import starts_scene
from moviegen.services import merge3

STORY = ("logline", "bible", "outline")
LABELS = {"screenplay": "Screenplay", "logline": "Logline", "bible": "Story bible", "outline": "Outline"}


def _name(request: Request) -> str:
    name = request.path_params["name"]
    if name not in LABELS:
        raise UsageError(f"no text named '{name}'", "choose the screenplay, logline, bible or outline")
    return name


async def read(request: Request, project: str, name: str) -> dict:
    if name == "screenplay":
        got = await call(request, "screenplay_get", project_id=project)
    else:
        got = await call(request, "story_file_get", project_id=project, name=name)
    return {"text": got["text"], "digest": got["digest"]}


async def write(request: Request, project: str, name: str, text: str, digest: str | None) -> dict:
    if name == "screenplay":
        return await call(request, "screenplay_update", project_id=project, text=text, expect_digest=digest)
    return await call(request, "story_file_update", project_id=project, name=name, text=text, expect_digest=digest)


def units(request: Request, project: str, name: str, text: str, comments: list[dict]) -> list[dict]:
    """The text to show, cut into scenes (the screenplay: each with its comment count) or one block."""
    if name != "screenplay":
        return [{"text": text, "scene": None}] if text else []
    counts: dict[str, int] = {}
    for c in comments:
        counts[c["target"]] = counts.get(c["target"], 0) + 1
    out, scene = [], 0
    for unit in merge3.scenes(text):
        heading = starts_scene(unit.splitlines()[0]) if unit.strip() else False
        scene += heading
        key = str(scene) if heading else None
        lines = [{**line, "comments": counts.get(f"line:{key}:{line['n']}", 0)} for line in spoken(unit)] if key else []
        out.append({"text": unit.strip("\n"), "scene": key, "comments": counts.get(f"scene:{key}", 0), "lines": lines})
    return out


def spoken(unit: str) -> list[dict]:
    """A scene's dialogue lines, numbered from 1 in the scene (a comment's ``line:SCENE:N``): who and what."""
    from moviegen.core.fountain import parse
    from moviegen.core.scenes import scenes_of

    try:
        scenes = scenes_of(parse(unit))
    except Exception:  # noqa: BLE001 - a scene the parser cannot read still shows, without its lines
        return []
    beats = [b for b in scenes[0].beats if b.kind == "dialogue"] if scenes else []
    return [{"n": i, "who": b.character, "text": b.text} for i, b in enumerate(beats, 1)]


async def text_context(request: Request, project: str, name: str) -> dict:
    got = await read(request, project, name)
    comments = await call(request, "comment_list", project_id=project) if name == "screenplay" else []
    return {**got, "name": name, "label": LABELS[name], "units": units(request, project, name, got["text"], comments)}


async def text_page(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        name = _name(request)
        context = project_context(request, project, "screenplay" if name == "screenplay" else "story")
        return page(request, "text.html", **context, **await text_context(request, project, name))

    return await guarded(request, handle)


async def text_part(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        name = _name(request)
        return part(request, "_text.html", project=project, **await text_context(request, project, name))

    return await guarded(request, handle)


def _form_text(value) -> str:
    return str(value or "").replace("\r\n", "\n")  # browsers send a textarea's lines with CRLF


async def save(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        name = _name(request)
        await checked(request)
        form = await request.form()
        text, base, digest = _form_text(form.get("text")), _form_text(form.get("base")), form.get("digest") or None
        note = "saved"
        try:
            saved = await write(request, project, name, text, digest)
        except ConflictError:
            saved, note = await merged_save(request, project, name, base, digest, text)
        context = {"project": project, "name": name, "label": LABELS[name], "text": text, "digest": saved["digest"]}
        if note != "saved":
            context["text"] = (await read(request, project, name))["text"]
        return part(request, "_editor.html", **context, note=note, conflict=False)

    return await guarded(request, handle)


MAX_FILE = 2 << 20  # a screenplay or story file uploaded to replace the text (the operations' own limit is 2 MB)


async def upload(request: Request) -> Response:
    """Replace the text with an uploaded file (a .fountain screenplay, a story file's .md): checked as UTF-8 text
    of at most 2 MiB here, then saved by the same operation as the editor's Save (a screenplay that does not parse
    is refused there, and nothing is written), over the version the page was showing."""
    from starlette.datastructures import UploadFile

    project = request.path_params["project"]

    async def handle():
        name = _name(request)
        await checked(request)
        form = await request.form(max_part_size=MAX_FILE + 1)
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise UsageError("no file was sent", "choose a file, then Replace")
        data = await file.read(MAX_FILE + 1)
        if len(data) > MAX_FILE:
            raise UsageError(
                f"{file.filename} is over {MAX_FILE >> 20} MiB", "a screenplay is text: send the .fountain"
            )
        try:
            text = data.decode("utf-8-sig").replace("\r\n", "\n")
        except UnicodeDecodeError:
            raise UsageError(f"{file.filename} is not UTF-8 text", "export it as Fountain (.fountain), UTF-8") from None
        if "\x00" in text or not text.strip():
            raise UsageError(f"{file.filename} is not a text file", "send a .fountain screenplay or a .md story file")
        saved = await write(request, project, name, text, form.get("digest") or None)
        return part(request, "_editor.html", project=project, name=name, label=LABELS[name], text=text,
                    digest=saved["digest"], note=f"replaced with {file.filename}", conflict=False)  # fmt: skip

    return await guarded(request, handle)


async def merged_save(request: Request, project: str, name: str, base: str, digest: str | None, text: str
                      ) -> tuple[dict, str]:  # fmt: skip
    """Someone saved since this editor read the file: merge both edits, or refuse naming the clash."""
    if digest is not None and hashlib.sha256(base.encode()).hexdigest() != digest:
        raise ConflictError("this editor's starting text does not match the version it was read as",
                            "reload the page, redo your change and save again")  # fmt: skip
    current = await read(request, project, name)
    merge = merge3.merge_fountain if name == "screenplay" else merge3.merge_markdown
    result = merge(base, current["text"], text)
    if not result.clean:
        where = "; ".join(c[:60] for c in result.conflicts)
        raise ConflictError(f"someone else changed the same {'scene' if name == 'screenplay' else 'section'} "
                            f"meanwhile ({where})", "copy your text, reload the page, and redo your change there")  # fmt: skip
    saved = await write(request, project, name, result.text, current["digest"])
    return saved, "saved, merged with a newer edit of other parts"


# ---------------------------------------------------------------- comments
async def comments_part(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        target = request.query_params.get("target") or "project"
        found = await call(request, "comment_list", project_id=project, target=None if target == "project" else target)
        return part(request, "_comments.html", project=project, comments=found, target=target)

    return await guarded(request, handle)


async def comment_post(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        await checked(request)
        form = await request.form()
        target = str(form.get("target") or "project")
        await call(request, "comment_add", project_id=project, target=target, text=str(form.get("text") or ""))
        found = await call(request, "comment_list", project_id=project, target=None if target == "project" else target)
        return part(request, "_comments.html", project=project, comments=found, target=target)

    return await guarded(request, handle)
