"""Backdrops: sky, land, water, buildings and rooms, chosen from the location's words."""

from __future__ import annotations

import math
import random
import re
from functools import lru_cache

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from moviegen.brain.providers.storyboard_painter.palette import RGB, mix, shade

WATER = ("flood", "river", "sea", "harbour", "harbor", "water", "lake", "beach", "promenade", "bridge")
TOWER = ("tower", "lighthouse", "beacon", "signal")
TOWN = ("city", "street", "alley", "station", "market", "town", "village", "harbour", "harbor")
SPACE = ("surface", "moon", "mars", "planet", "space", "deck", "engine", "orbit")


def has(words: str, keys: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{k}", words) for k in keys)


def glow(img: Image.Image, center: tuple[float, float], radius: float, color: RGB, strength: float = 0.8) -> None:
    """A smooth radial glow (drawn small, blurred, scaled up: no banding, little cost)."""
    w, h = img.size
    k = 8
    small = Image.new("L", (max(1, w // k), max(1, h // k)), 0)
    cx, cy, r = center[0] / k, center[1] / k, radius / k
    ImageDraw.Draw(small).ellipse((cx - r, cy - r, cx + r, cy + r), fill=int(255 * strength))
    mask = small.filter(ImageFilter.GaussianBlur(r * 0.8)).resize((w, h), Image.BILINEAR)
    img.paste(Image.new("RGB", (w, h), color), (0, 0), mask)


def gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    w, h = size
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    rows = np.asarray(top, np.float32)[None, :] * (1 - t) + np.asarray(bottom, np.float32)[None, :] * t
    rows = rows.round().astype(np.uint8)  # round the h rows once, then repeat them across the width
    return Image.fromarray(np.ascontiguousarray(np.broadcast_to(rows[:, None, :], (h, w, 3))))


def soft_blur(img: Image.Image, radius: float) -> Image.Image:
    """A wide Gaussian blur done at half size: the same softness for a quarter of the work."""
    w, h = img.size
    half = img.resize((max(1, w // 2), max(1, h // 2)), Image.BILINEAR)
    return half.filter(ImageFilter.GaussianBlur(radius / 2)).resize((w, h), Image.BILINEAR)


def exterior(img: Image.Image, words: str, sky: tuple[RGB, RGB, RGB, RGB], rng: random.Random, night: bool) -> int:
    """Paint an exterior; returns the ground line (y) figures stand on."""
    w, h = img.size
    d = ImageDraw.Draw(img)
    top, bottom, land, light = sky
    if night and not has(words, ("rain", "flood", "storm")):
        for _ in range(int(w * h / 9000)):
            x, y = rng.random() * w, rng.random() * h * 0.55
            r = rng.choice((1, 1, 1, 2)) * w / 1600
            d.ellipse((x - r, y - r, x + r, y + r), fill=mix(bottom, (255, 255, 255), 0.8))
    orb = (w * (0.18 + 0.6 * rng.random()), h * (0.16 + 0.1 * rng.random()))
    orb_r = h * (0.05 if night else 0.07)
    glow(img, orb, orb_r * 2.2, mix(light, bottom, 0.3), 0.7)
    d.ellipse((orb[0] - orb_r, orb[1] - orb_r, orb[0] + orb_r, orb[1] + orb_r), fill=mix(light, (255, 255, 255), 0.4))
    ground = int(h * 0.7)
    for layer in range(3):
        far = 2 - layer
        base = h * (0.52 + 0.08 * layer)
        amp = h * (0.07 - 0.015 * layer)
        phase, freq = rng.random() * 6.28, 1.5 + rng.random() * 2.0
        color = mix(land, bottom, 0.55 * far / 2)
        pts = [
            (
                x,
                base
                - amp * (0.6 * math.sin(freq * x / w * 6.28 + phase) + 0.4 * math.sin(3.1 * x / w * 6.28 + phase * 2)),
            )
            for x in np.linspace(0, w, 48)
        ]
        d.polygon(pts + [(w, h), (0, h)], fill=color)
        if layer == 0 and has(words, TOWN):
            x = 0.0
            while x < w:
                bw, bh = w * (0.04 + 0.05 * rng.random()), h * (0.08 + 0.18 * rng.random())
                d.rectangle((x, base - bh, x + bw, base + 2), fill=shade(color, 0.8))
                for wy in np.arange(base - bh + h * 0.02, base - h * 0.02, h * 0.04):
                    for wx in np.arange(x + bw * 0.15, x + bw * 0.85, bw * 0.3):
                        if rng.random() < (0.5 if night else 0.2):
                            d.rectangle((wx, wy, wx + bw * 0.12, wy + h * 0.015), fill=mix(light, color, 0.2))
                x += bw + w * 0.01 * rng.random()
        if layer == 1 and has(words, TOWER):
            tx = w * (0.62 + 0.2 * rng.random())
            tw, th = w * 0.035, h * 0.34
            d.polygon(
                [(tx - tw, base + 4), (tx + tw, base + 4), (tx + tw * 0.6, base - th), (tx - tw * 0.6, base - th)],
                fill=shade(color, 0.75),
            )
            d.rectangle((tx - tw * 0.8, base - th - h * 0.05, tx + tw * 0.8, base - th), fill=mix(light, color, 0.35))
            d.polygon(
                [(tx - tw, base - th - h * 0.05), (tx + tw, base - th - h * 0.05), (tx, base - th - h * 0.1)],
                fill=shade(color, 0.6),
            )
    if has(words, WATER):
        wy = int(h * 0.74)
        d.rectangle((0, wy, w, h), fill=mix(bottom, land, 0.45))
        for _ in range(60):
            x, y = rng.random() * w, wy + rng.random() * (h - wy)
            ln = w * (0.02 + 0.05 * rng.random())
            d.line((x, y, x + ln, y), fill=mix(bottom, (255, 255, 255), 0.35), width=max(1, int(h / 500)))
        ground = int(h * 0.8)
    if has(words, ("road",)):
        d.polygon(
            [(w * 0.42, h * 0.62), (w * 0.58, h * 0.62), (w * 0.95, h), (w * 0.05, h)],
            fill=mix(land, (60, 60, 66), 0.6),
        )
        for k in range(6):
            y0 = h * 0.64 + (h * 0.36) * (k / 6) ** 1.3
            y1 = y0 + h * 0.02 * (1 + k)
            d.rectangle((w * 0.497 - k, y0, w * 0.503 + k, y1), fill=mix(light, land, 0.3))
    if has(words, ("bridge",)):
        by = h * 0.6
        d.rectangle((0, by, w, by + h * 0.04), fill=shade(land, 1.3))
        for k in range(4):
            cx = w * (0.125 + 0.25 * k)
            d.chord((cx - w * 0.1, by, cx + w * 0.1, by + h * 0.3), 180, 360, fill=mix(bottom, land, 0.5))
    return ground


def interior(img: Image.Image, words: str, sky: tuple[RGB, RGB, RGB, RGB], rng: random.Random, wall: RGB) -> int:
    """Paint a room: back wall, window onto the time of day, floor, furniture."""
    w, h = img.size
    d = ImageDraw.Draw(img)
    top, bottom, _, light = sky
    floor_y = int(h * 0.68)
    d.rectangle((0, 0, w, floor_y), fill=wall)
    for k in range(8):  # soft light falloff on the wall
        d.rectangle((0, floor_y - k * h * 0.02, w, floor_y), fill=mix(wall, shade(wall, 0.8), k / 8))
    wx, ww, wh = w * (0.12 + 0.5 * rng.random()), w * 0.22, h * 0.3
    d.rectangle((wx - 8, h * 0.14 - 8, wx + ww + 8, h * 0.14 + wh + 8), fill=shade(wall, 0.55))
    d.rectangle((wx, h * 0.14, wx + ww, h * 0.14 + wh), fill=mix(top, bottom, 0.5))
    d.line((wx + ww / 2, h * 0.14, wx + ww / 2, h * 0.14 + wh), fill=shade(wall, 0.55), width=max(2, w // 320))
    d.line((wx, h * 0.14 + wh / 2, wx + ww, h * 0.14 + wh / 2), fill=shade(wall, 0.55), width=max(2, w // 320))
    floor = shade(wall, 0.45)
    d.rectangle((0, floor_y, w, h), fill=floor)
    for k in range(-6, 7):
        d.line(
            (w / 2 + k * w * 0.04, floor_y, w / 2 + k * w * 0.22, h), fill=shade(floor, 0.85), width=max(1, w // 640)
        )
    if has(words, ("archive", "library", "office", "studio", "attic")):
        for shelf in range(4):
            y = h * (0.12 + shelf * 0.12)
            d.rectangle((w * 0.68, y, w * 0.95, y + h * 0.012), fill=shade(wall, 0.5))
            x = w * 0.685
            while x < w * 0.94:
                bw = w * (0.008 + 0.01 * rng.random())
                d.rectangle(
                    (x, y - h * (0.06 + 0.03 * rng.random()), x + bw, y),
                    fill=mix((120, 60, 50), (60, 90, 120), rng.random()),
                )
                x += bw + 2
    if has(words, ("lamp", "light", "beacon", "signal", "tower")):
        cx, cy, r = w * 0.78, h * 0.34, h * 0.12
        glow(img, (cx, cy), r * 2.6, light, 0.55)
        d.ellipse(
            (cx - r, cy - r, cx + r, cy + r), fill=mix((190, 160, 90), light, 0.35), outline=(120, 90, 40), width=4
        )
    if has(words, ("deck", "engine", "bay", "lab", "control")):
        for k in range(10):
            x = w * (0.05 + 0.09 * k)
            d.rectangle((x, h * 0.5, x + w * 0.07, floor_y), fill=shade(wall, 0.7))
            d.ellipse((x + w * 0.02, h * 0.53, x + w * 0.03, h * 0.53 + w * 0.01), fill=mix(light, (80, 200, 255), 0.6))
    d.rectangle((w * 0.05, floor_y - h * 0.1, w * 0.4, floor_y - h * 0.08), fill=shade(wall, 0.4))  # bench / table top
    d.rectangle((w * 0.07, floor_y - h * 0.08, w * 0.09, floor_y + h * 0.05), fill=shade(wall, 0.35))
    d.rectangle((w * 0.36, floor_y - h * 0.08, w * 0.38, floor_y + h * 0.05), fill=shade(wall, 0.35))
    return int(h * 0.86)


def rain(img: Image.Image, rng: random.Random, strength: float = 1.0) -> None:
    w, h = img.size
    layer = Image.new("L", img.size, 0)
    d = ImageDraw.Draw(layer)
    for _ in range(int(900 * strength * w / 1600)):
        x, y = rng.random() * w, rng.random() * h
        ln = h * (0.02 + 0.04 * rng.random())
        d.line((x, y, x - ln * 0.25, y + ln), fill=int(60 + 80 * rng.random()), width=max(1, w // 900))
    img.paste(Image.new("RGB", img.size, (200, 215, 235)), (0, 0), layer)


@lru_cache(maxsize=8)
def _vignette_mask(w: int, h: int, strength: float) -> Image.Image:
    y, x = np.ogrid[-1 : 1 : complex(0, h), -1 : 1 : complex(0, w)]
    mask = 1.0 - strength * np.clip((x * x + y * y) / 2.0, 0, 1) ** 1.3
    level = Image.fromarray((mask * 255).round().astype(np.uint8))
    return Image.merge("RGB", (level, level, level))


def vignette(img: Image.Image, strength: float = 0.35) -> Image.Image:
    """Darken the corners (a cached mask, multiplied in C)."""
    return ImageChops.multiply(img, _vignette_mask(img.width, img.height, strength))
