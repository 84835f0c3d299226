"""Compose one storyboard frame from an ImageRequest."""

from __future__ import annotations

import random
import textwrap

from PIL import Image, ImageDraw, ImageFont

from moviegen.brain.providers.storyboard_painter import figures, props, scenery
from moviegen.brain.providers.storyboard_painter.palette import mix, shade, sky_for, stable_unit
from moviegen.core.brain import ImageRequest

_WALLS = [(112, 84, 62), (70, 92, 96), (120, 110, 84), (88, 72, 96), (96, 100, 80), (130, 96, 80)]
# framing -> (figure height / frame height, ground / frame height, backdrop zoom, background blur)
_FRAMING = {"wide": (0.34, None, 1.0, 0.0), "medium": (1.35, 1.62, 1.35, 1.5), "close": (2.7, 2.95, 1.8, 4.0)}


def paint(req: ImageRequest) -> Image.Image:
    w, h = req.width, req.height
    time = (req.time_of_day or "DAY").upper()
    sky = sky_for(time)
    night = sky is sky_for("NIGHT")
    # the backdrop depends on the place and the scene, never on one shot's words
    words = f"{req.location} {req.scene_text or req.caption}".lower()
    rng = random.Random(int(stable_unit(str(req.seed), req.location, time) * 2**32))
    img = scenery.gradient((w, h), sky[0], sky[1])
    exterior = req.setting != "INT"
    if exterior:
        ground = scenery.exterior(img, words, sky, rng, night)
        ambient = 0.55 if night else 0.95
    else:
        wall = _WALLS[int(stable_unit(req.location) * len(_WALLS))]
        wall = mix(wall, sky[3], 0.12) if not night else shade(wall, 0.8)
        ground = scenery.interior(img, words, sky, rng, wall)
        ambient = 0.8 if night else 1.0
    if exterior and scenery.has(words, ("rain", "storm", "flood", "downpour")):
        scenery.rain(img, random.Random(rng.random()), 1.0)
    if req.framing == "insert":
        img = scenery.soft_blur(img, h / 90)
        kind = props.prop_kind(req.caption or req.prompt)
        if kind == "bulb":
            scenery.glow(img, (w * 0.52, h * 0.55), h * 0.45, sky[3], 0.75)
        d = ImageDraw.Draw(img)
        sleeve = figures.Look.of(req.characters[0]).coat if req.characters else (90, 90, 100)
        surface = shade(mix(sky[2], (120, 100, 80), 0.5), 0.9 if not night else 0.6)
        props.draw_prop(d, kind, (w, h), sky[3], surface, sleeve)
    else:
        size, ground_at, zoom, blur = _FRAMING.get(req.framing, _FRAMING["wide"])
        if zoom > 1.0:
            cw, ch = w / zoom, h / zoom
            x0, y0 = (w - cw) / 2, (h - ch) * 0.45
            img = img.resize((w, h), Image.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch))
            img = scenery.soft_blur(img, blur * h / 720)
        _figures(img, req, size * h, ground if ground_at is None else ground_at * h, sky[3], ambient)
    img = scenery.vignette(img, 0.4 if night else 0.28)
    if req.caption and req.draw_caption:
        _caption(img, req.caption)
    return img


def _figures(img: Image.Image, req: ImageRequest, height: float, ground: float, light, ambient: float) -> None:
    w = img.size[0]
    d = ImageDraw.Draw(img)
    people = sorted(req.characters, key=lambda c: c.slot)
    if req.framing == "close":
        people = [c for c in people if c.name == req.speaker] or people[:1]
    if not people:
        return
    if len(people) == 1:
        # screen direction stays consistent: even slots stand left of centre, odd slots right
        xs = [w * (0.38 if people[0].slot % 2 == 0 else 0.62)]
    else:
        span = 0.5 if req.framing == "wide" else 0.7
        xs = [w * (0.5 - span / 2 + span * i / (len(people) - 1)) for i in range(len(people))]
    for c, x in zip(people, xs, strict=True):
        lit = req.speaker is None or c.name == req.speaker
        facing = 1 if x < w / 2 else -1
        figures.draw_figure(
            d,
            figures.Look.of(c),
            x,
            ground,
            height,
            lit=lit and req.speaker is not None,
            light=light,
            ambient=ambient * (1.0 if lit else 0.75),
            face=req.framing != "wide",
            facing=facing,
        )


def _caption(img: Image.Image, text: str) -> None:
    w, h = img.size
    font = ImageFont.load_default(size=max(12, int(h / 30)))
    lines = textwrap.wrap(text, width=max(20, int(w / (h / 30) / 0.55)))[:3]
    pad = h * 0.018
    line_h = h / 30 * 1.3
    band = Image.new("RGBA", (w, int(pad * 2 + line_h * len(lines))), (0, 0, 0, 120))
    img.paste(band, (0, 0), band)
    d = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        d.text((w * 0.04, pad + i * line_h), line, font=font, fill=(236, 236, 228))
