"""Characters as stylised figures. Each keeps one look for the whole film: colour,
build, height, hair or hat, skin — all derived from the name, never from the shot."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import ImageDraw

from moviegen.brain.providers.storyboard_painter.palette import RGB, hex_rgb, mix, shade, stable_unit
from moviegen.core.brain import CharacterLook

SKINS: list[RGB] = [(241, 204, 170), (224, 172, 130), (198, 134, 94), (160, 104, 70), (116, 74, 50), (90, 58, 40)]
HAIRS: list[RGB] = [(30, 24, 20), (70, 44, 28), (140, 96, 52), (200, 180, 150), (220, 220, 222), (120, 36, 24)]


@dataclass(frozen=True)
class Look:
    coat: RGB
    skin: RGB
    hair: RGB
    build: float  # shoulder width factor
    height: float  # height factor
    style: int  # 0 short hair, 1 hat, 2 long hair, 3 bun

    @classmethod
    def of(cls, c: CharacterLook) -> Look:
        u = lambda k: stable_unit(c.name, k)  # noqa: E731
        look = c.look.lower()
        old = any(t in look for t in ("60s", "70s", "80s", "old", "grey", "gray"))
        hair = HAIRS[4] if old else HAIRS[int(u("hair") * 4)]
        style = 1 if any(t in look for t in ("hat", "cap", "helmet", "headset")) else int(u("style") * 4)
        return cls(
            hex_rgb(c.color),
            SKINS[int(u("skin") * len(SKINS))],
            hair,
            0.85 + 0.3 * u("build"),
            0.92 + 0.14 * u("height") - (0.04 if old else 0),
            style,
        )


def draw_figure(
    d: ImageDraw.ImageDraw,
    look: Look,
    cx: float,
    ground: float,
    height: float,
    *,
    lit: bool,
    light: RGB,
    ambient: float,
    face: bool,
    facing: int,
) -> None:
    """A figure standing on ``ground`` with its head ``height`` above it."""
    h = height * look.height
    hr = h * 0.085
    head = (cx, ground - h + hr)
    coat = shade(look.coat, ambient)
    dark = shade(coat, 0.6)
    sh, hip = h * 0.14 * look.build, h * 0.11 * look.build
    neck, waist = ground - h + 2.05 * hr, ground - h * 0.47
    outline = mix(light, (255, 255, 255), 0.3) if lit else None
    width = max(2, int(h / 90))
    legs = [(cx - hip, waist), (cx - hip * 0.15, waist), (cx - hip * 0.2, ground), (cx - hip * 0.95, ground)]
    legs2 = [(cx + hip * 0.15, waist), (cx + hip, waist), (cx + hip * 0.95, ground), (cx + hip * 0.2, ground)]
    for leg in (legs, legs2):
        d.polygon(leg, fill=dark, outline=outline, width=width if lit else 0)
    torso = [
        (cx - sh, neck + hr * 0.3),
        (cx + sh, neck + hr * 0.3),
        (cx + hip * 1.08, waist + h * 0.05),
        (cx - hip * 1.08, waist + h * 0.05),
    ]
    d.rounded_rectangle(
        (cx - sh, neck, cx + sh, waist + h * 0.05),
        radius=hr * 0.8,
        fill=coat,
        outline=outline,
        width=width if lit else 0,
    )
    d.polygon(torso, fill=coat)
    arm_w = sh * 0.32
    for side in (-1, 1):
        x0 = cx + side * sh
        d.rounded_rectangle(
            (min(x0, x0 - side * arm_w), neck + hr * 0.2, max(x0, x0 - side * arm_w) + 0.1, waist + h * 0.02),
            radius=arm_w / 2,
            fill=shade(coat, 0.85),
        )
    d.rectangle((cx - hr * 0.35, neck - hr * 0.5, cx + hr * 0.35, neck + hr * 0.2), fill=shade(look.skin, ambient))
    skin = shade(look.skin, ambient)
    hair = shade(look.hair, ambient)
    if look.style == 2:
        d.rounded_rectangle(
            (head[0] - hr * 1.1, head[1] - hr, head[0] + hr * 1.1, head[1] + hr * 1.6), radius=hr, fill=hair
        )
    d.ellipse(
        (head[0] - hr, head[1] - hr, head[0] + hr, head[1] + hr), fill=skin, outline=outline, width=width if lit else 0
    )
    if look.style == 1:
        d.rectangle((head[0] - hr * 1.5, head[1] - hr * 0.55, head[0] + hr * 1.5, head[1] - hr * 0.35), fill=dark)
        d.rounded_rectangle(
            (head[0] - hr, head[1] - hr * 1.3, head[0] + hr, head[1] - hr * 0.4), radius=hr * 0.3, fill=dark
        )
    else:
        d.chord((head[0] - hr, head[1] - hr, head[0] + hr, head[1] + hr), 180, 360, fill=hair)
        if look.style == 3:
            d.ellipse((head[0] - hr * 0.45, head[1] - hr * 1.6, head[0] + hr * 0.45, head[1] - hr * 0.7), fill=hair)
    if face:
        ex = hr * 0.38
        ey = head[1] + hr * 0.12
        er = max(1.5, hr * 0.09)
        off = facing * hr * 0.12
        for sx in (-1, 1):
            d.ellipse((head[0] + sx * ex + off - er, ey - er, head[0] + sx * ex + off + er, ey + er), fill=(25, 22, 26))
        d.arc(
            (head[0] - hr * 0.3 + off, head[1] + hr * 0.3, head[0] + hr * 0.3 + off, head[1] + hr * 0.62),
            20,
            160,
            fill=shade(skin, 0.6),
            width=max(1, int(hr / 14)),
        )
