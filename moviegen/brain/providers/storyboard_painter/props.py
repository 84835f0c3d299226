"""Insert shots: the object the action is about, held in the light."""

from __future__ import annotations

from PIL import ImageDraw

from moviegen.brain.providers.storyboard_painter.palette import RGB, mix, shade

KINDS = {
    "bulb": ("bulb", "lamp", "light", "beacon", "lantern", "switch", "signal"),
    "box": ("box", "toolbox", "case", "package", "parcel", "suitcase", "crate"),
    "paper": ("letter", "page", "ledger", "photograph", "photo", "map", "timetable", "file", "note", "card"),
    "clock": ("watch", "clock", "time", "minutes"),
    "radio": ("radio", "console", "phone", "headset"),
}


def prop_kind(text: str) -> str:
    words = text.lower()
    for kind, keys in KINDS.items():
        if any(k in words for k in keys):
            return kind
    return "bulb"


def draw_prop(d: ImageDraw.ImageDraw, kind: str, size: tuple[int, int], light: RGB, surface: RGB, sleeve: RGB) -> None:
    w, h = size
    cx, cy = w * 0.52, h * 0.55
    d.rectangle((0, h * 0.72, w, h), fill=surface)
    d.ellipse((cx - w * 0.22, h * 0.66, cx + w * 0.22, h * 0.78), fill=shade(surface, 0.7))
    if kind == "bulb":
        r = h * 0.16
        d.ellipse((cx - r, cy - r * 1.1, cx + r, cy + r * 0.9), fill=mix(light, (255, 255, 255), 0.5))
        d.rectangle((cx - r * 0.45, cy + r * 0.8, cx + r * 0.45, cy + r * 1.4), fill=(150, 140, 120))
        for k in range(3):
            y = cy + r * (0.9 + 0.18 * k)
            d.line((cx - r * 0.45, y, cx + r * 0.45, y), fill=(90, 84, 72), width=max(2, int(h / 200)))
    elif kind == "box":
        bw, bh = w * 0.22, h * 0.2
        d.polygon(
            [(cx - bw, cy), (cx + bw, cy), (cx + bw * 1.2, cy - bh * 0.45), (cx - bw * 0.8, cy - bh * 0.45)],
            fill=mix((150, 110, 70), light, 0.25),
        )
        d.rectangle((cx - bw, cy, cx + bw, cy + bh), fill=(130, 92, 58))
        d.rectangle((cx - bw * 0.1, cy - bh * 0.45, cx + bw * 0.1, cy + bh), fill=(96, 66, 40))
    elif kind == "paper":
        pw, ph = w * 0.16, h * 0.28
        d.polygon(
            [(cx - pw, cy - ph), (cx + pw, cy - ph * 0.9), (cx + pw * 1.05, cy + ph), (cx - pw * 0.95, cy + ph * 0.95)],
            fill=mix((236, 228, 208), light, 0.15),
        )
        for k in range(7):
            y = cy - ph * 0.7 + k * ph * 0.22
            d.line((cx - pw * 0.7, y, cx + pw * 0.7, y + ph * 0.02), fill=(120, 112, 100), width=max(1, int(h / 300)))
    elif kind == "clock":
        r = h * 0.2
        d.ellipse(
            (cx - r, cy - r, cx + r, cy + r), fill=(200, 170, 90), outline=(120, 96, 40), width=max(3, int(h / 120))
        )
        d.ellipse((cx - r * 0.85, cy - r * 0.85, cx + r * 0.85, cy + r * 0.85), fill=(245, 238, 220))
        d.line((cx, cy, cx, cy - r * 0.65), fill=(30, 30, 30), width=max(2, int(h / 150)))
        d.line((cx, cy, cx + r * 0.45, cy + r * 0.1), fill=(30, 30, 30), width=max(2, int(h / 150)))
    else:
        d.rounded_rectangle(
            (cx - w * 0.16, cy - h * 0.12, cx + w * 0.16, cy + h * 0.14), radius=h * 0.03, fill=(60, 62, 66)
        )
        d.ellipse((cx - w * 0.12, cy - h * 0.06, cx - w * 0.02, cy + h * 0.1), fill=(30, 30, 34))
        d.rectangle((cx + w * 0.02, cy - h * 0.05, cx + w * 0.13, cy + h * 0.0), fill=mix(light, (80, 200, 140), 0.5))
        d.line(
            (cx + w * 0.1, cy - h * 0.12, cx + w * 0.14, cy - h * 0.3), fill=(60, 62, 66), width=max(3, int(h / 120))
        )
    d.rounded_rectangle((w * 0.78, h * 0.5, w * 1.05, h * 0.62), radius=h * 0.05, fill=sleeve)  # a hand reaching in
    d.ellipse((w * 0.72, h * 0.5, w * 0.8, h * 0.62), fill=(214, 170, 130))
