"""The storyboard as a PDF contact sheet: landscape pages of six shots each (three across, two down), every
cell the shot's still, its number, framing, camera move and duration, the scene heading, the action and the
dialogue it covers, wrapped and cut to fit the cell.

The still of a shot is the first that exists of: its approved take as the storyboard shows it (the still the
next render will use), that take in the project index's takes, the frame of the last render. A shot with
none gets an empty box that says so, so the sheet can be printed before anything is painted. Stills go in as
JPEG thumbnails (a contact sheet of full-size PNGs would weigh as much as the film's stills); the text is
Helvetica, one of the PDF's own fonts, so nothing is embedded. ``invariant`` keeps the bytes the same for
the same project (no creation time, no random id).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from moviegen.core import locations, shotlist
from moviegen.core.errors import MoviegenError, ProjectStateError
from moviegen.core.models import Scene, Shot
from moviegen.core.project import Project

PAGE = (11 * 72, 8.5 * 72)  # US Letter, landscape, in points
MARGIN, GUTTER, HEADER = 36, 14, 24
COLUMNS, ROWS = 3, 2
FONT, BOLD, SIZE, LEADING = "Helvetica", "Helvetica-Bold", 8, 10
THUMB = 640  # pixels on a still's long side: sharp when printed at the cell's width, small in the file
ASPECTS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0}
GREY = (0.55, 0.55, 0.55)


@dataclass
class Cell:
    """What one shot's cell shows."""

    shot: Shot
    heading: str = ""
    action: str = ""
    lines: list[tuple[str, str]] = field(default_factory=list)  # (character, text)
    picture: Path | None = None


def storyboard(project: Project, image_provider: str) -> bytes:
    """The project's storyboard as PDF bytes; ProjectStateError when there is no shot list to show."""
    path = locations.shots_file(project.path)
    if not path.exists():
        raise ProjectStateError(f"{project.slug} has no shot list yet, so there is no storyboard to export",
                                f"run 'moviegen plan {project.slug}' first")  # fmt: skip
    return draw(project.info.title or project.slug, project.info.format.aspect,
                cells(project, shotlist.load(path), image_provider))  # fmt: skip


def cells(project: Project, shots: list[Shot], image_provider: str) -> list[Cell]:
    """One cell per shot, in shot-list order, with the words the shot covers and its still if there is one."""
    scenes = _scenes(project)
    pictures = _pictures(project, image_provider)
    out = []
    for shot in shots:
        cell = Cell(shot=shot, picture=pictures.get(shot.id))
        scene = scenes.get(shot.scene)
        if scene is not None:
            cell.heading = scene.heading
            beats = [b for b in scene.beats if b.index in shot.beats]
            cell.action = " ".join(b.text for b in beats if b.kind == "action")
            cell.lines = [(b.character or "", b.text) for b in beats if b.kind == "dialogue"]
        if not cell.action and not cell.lines:
            cell.action = shot.subject
        out.append(cell)
    return out


def _scenes(project: Project) -> dict[str, Scene]:
    from moviegen.core.scenes import scenes_of

    if not project.has_screenplay():
        return {}
    return {s.id: s for s in scenes_of(project.screenplay())}


def _pictures(project: Project, image_provider: str) -> dict[str, Path]:
    """Shot id -> the still to show: the approved take, else the last render's frame."""
    from moviegen.services.export.timeline_otio import last_render
    from moviegen.services.storyboard import board

    found: dict[str, Path] = {}
    try:
        _, report = last_render(project)
        for shot in report["shots"]:
            found[str(shot.get("id"))] = project.path / str(shot.get("frame") or "")
    except (MoviegenError, KeyError, TypeError):
        pass  # no render yet (or an unreadable report): the storyboard's own stills, if any
    for shot in board(project, image_provider)[0]:
        approved = shot.get("frame") or next(
            (t["frame"] for t in shot.get("takes", []) if t["take"] == shot.get("take")), None
        )
        if approved:
            found[shot["id"]] = Path(approved)
    return {k: v for k, v in found.items() if v.is_file()}


# ---------------------------------------------------------------------------------------------- drawing
def draw(title: str, aspect: str, shots: list[Cell]) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=PAGE, invariant=1, pageCompression=1)
    canvas.setTitle(f"{title} — storyboard")
    canvas.setCreator("moviegen")
    per_page = COLUMNS * ROWS
    pages = max(1, -(-len(shots) // per_page))
    thumbs: dict[Path, object] = {}
    for page in range(pages):
        _header(canvas, title, page + 1, pages, len(shots))
        for i, cell in enumerate(shots[page * per_page : (page + 1) * per_page]):
            x, y = _cell_origin(i)
            _cell(canvas, cell, x, y, aspect, thumbs)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _cell_size() -> tuple[float, float]:
    width = (PAGE[0] - 2 * MARGIN - (COLUMNS - 1) * GUTTER) / COLUMNS
    height = (PAGE[1] - 2 * MARGIN - HEADER - (ROWS - 1) * GUTTER) / ROWS
    return width, height


def _cell_origin(i: int) -> tuple[float, float]:
    """The top-left corner of the i-th cell of a page (PDF points, y up)."""
    width, height = _cell_size()
    column, row = i % COLUMNS, i // COLUMNS
    return MARGIN + column * (width + GUTTER), PAGE[1] - MARGIN - HEADER - row * (height + GUTTER)


def _header(canvas, title: str, page: int, pages: int, count: int) -> None:
    canvas.setFont(BOLD, 12)
    canvas.drawString(MARGIN, PAGE[1] - MARGIN - 12, title)
    canvas.setFont(FONT, 9)
    canvas.drawRightString(PAGE[0] - MARGIN, PAGE[1] - MARGIN - 12,
                           f"storyboard · {count} shots · page {page} of {pages}")  # fmt: skip


def _cell(canvas, cell: Cell, x: float, top: float, aspect: str, thumbs: dict) -> None:
    width, height = _cell_size()
    box = width / ASPECTS["16:9"]  # every cell's frame box has the same height, whatever the film's shape
    canvas.setStrokeColorRGB(*GREY)
    canvas.setLineWidth(0.5)
    canvas.rect(x, top - box, width, box)
    if cell.picture is not None:
        w, h = _fit(ASPECTS.get(aspect, 16 / 9), width, box)
        image = thumbs.get(cell.picture) or thumbs.setdefault(cell.picture, _thumbnail(cell.picture))
        canvas.drawImage(image, x + (width - w) / 2, top - box + (box - h) / 2, w, h)
    else:
        canvas.setFillColorRGB(*GREY)
        canvas.setFont(FONT, 9)
        canvas.drawCentredString(x + width / 2, top - box / 2 - 3, "no picture yet")
        canvas.setFillColorRGB(0, 0, 0)
    shot = cell.shot
    y = top - box - LEADING - 2
    canvas.setFont(BOLD, 10)
    canvas.drawString(x, y, f"Shot {shot.id}")
    canvas.setFont(FONT, SIZE)
    canvas.drawRightString(x + width, y, f"{shot.framing.value} · {shot.camera.value} · {shot.duration:g} s")
    bottom = top - height
    rows = [(BOLD, cell.heading)] if cell.heading else []
    rows += [(FONT, cell.action)] if cell.action else []
    rows += [(FONT, f"{who}: {text}") for who, text in cell.lines]
    _wrapped(canvas, rows, x, y - LEADING - 2, width, bottom)


def _wrapped(canvas, rows: list[tuple[str, str]], x: float, y: float, width: float, bottom: float) -> None:
    """Draw each (font, text) wrapped to ``width`` from ``y`` down; the line that would pass ``bottom`` is the
    last, ending in an ellipsis."""
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines = [(font, line) for font, text in rows for line in simpleSplit(" ".join(text.split()), font, SIZE, width)]
    room = int((y - bottom) // LEADING) + 1
    if len(lines) > room:
        lines = lines[: max(room, 0)]
        if lines:
            font, last = lines[-1]
            while last and stringWidth(last + " …", font, SIZE) > width:
                last = last[:-1]
            lines[-1] = (font, last.rstrip() + " …")
    for font, line in lines:
        canvas.setFont(font, SIZE)
        canvas.drawString(x, y, line)
        y -= LEADING


def _fit(ratio: float, width: float, height: float) -> tuple[float, float]:
    """The largest width × height of shape ``ratio`` that fits the box."""
    return (width, width / ratio) if width / ratio <= height else (height * ratio, height)


def _thumbnail(path: Path):
    """The still as a JPEG thumbnail for ReportLab (embedded as it is: no re-encoding in the PDF)."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    with Image.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail((THUMB, THUMB))
        data = io.BytesIO()
        image.save(data, "JPEG", quality=85)
    data.seek(0)
    return ImageReader(data)
