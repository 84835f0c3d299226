"""Low-poly 3D shapes: a stylised figure per character and a primitive per prop, as one GLB (binary glTF).

A figure is legs, a torso, arms, a neck scarf, a head and hair, each its own named node with a PBR material.
Its proportions come from the bible's build words on top of the same name-derived height and build the
storyboard painter gives the character's 2D figure, and its skin and hair are the painter's too (same
tables, same hash of the name), so the model is the person on the stills. Clothes are the character's
colour, as on the stills, unless the look names a colour for the coat ("yellow oilskin"); the scarf always
wears the character's colour. A prop is a primitive chosen by its noun (a lantern is a base, a glass and a
cap with a handle; a crate a box...), in a colour its phrase names ("brass lantern") or its material's.

Everything is built in metres with z up and baked into glTF's y up (feet at y = 0), facing +z. Same input,
same bytes: no randomness, no clock, and trimesh writes the same file for the same meshes.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

import numpy as np

RGB = tuple[int, int, int]
SKINS: list[RGB] = [(241, 204, 170), (224, 172, 130), (198, 134, 94), (160, 104, 70), (116, 74, 50), (90, 58, 40)]
HAIRS: list[RGB] = [(30, 24, 20), (70, 44, 28), (140, 96, 52), (200, 180, 150), (220, 220, 222), (120, 36, 24)]
COLOURS: dict[str, RGB] = {
    "black": (28, 28, 30), "white": (236, 236, 232), "grey": (128, 128, 130), "gray": (128, 128, 130),
    "silver": (192, 192, 196), "red": (190, 40, 40), "crimson": (160, 20, 40), "maroon": (110, 30, 40),
    "orange": (230, 120, 30), "yellow": (235, 200, 40), "hi-vis": (214, 240, 0), "gold": (212, 170, 60),
    "brass": (181, 150, 66), "copper": (184, 115, 51), "rust": (160, 70, 40), "brown": (110, 70, 40),
    "tan": (200, 160, 110), "khaki": (180, 170, 120), "olive": (110, 110, 50), "green": (50, 130, 60),
    "teal": (30, 128, 128), "blue": (40, 80, 170), "navy": (30, 40, 80), "purple": (110, 50, 140),
    "pink": (230, 140, 170), "cream": (240, 230, 200), "rain-dark": (52, 58, 66), "dark": (45, 45, 50),
}  # fmt: skip
CLOTHES = ("coat|jacket|oilskin|raincoat|parka|anorak|cardigan|sweater|jumper|hoodie|cloak|cape|uniform|overalls|"
           "vest|suit|blazer|dress|shirt|poncho|apron|smock|robe|coverall")  # fmt: skip
_TALL = {"tall": 0.12, "lanky": 0.1, "towering": 0.16, "long-limbed": 0.06, "short": -0.12, "small": -0.08,
         "little": -0.08, "tiny": -0.16, "petite": -0.1, "stooped": -0.05, "hunched": -0.05}  # fmt: skip
_WIDE = {"stocky": 0.25, "broad": 0.2, "broad-shouldered": 0.22, "burly": 0.28, "heavy": 0.25, "heavyset": 0.25,
         "stout": 0.25, "big": 0.15, "hulking": 0.35, "muscular": 0.15, "slight": -0.15, "thin": -0.15,
         "slim": -0.12, "slender": -0.15, "wiry": -0.1, "skinny": -0.18, "lanky": -0.1, "gaunt": -0.15}  # fmt: skip
_CHILD = re.compile(r"\b(child|kid|boy|girl|toddler|\d{1,2}-year-old|teen|teenager|[5-9]|1[0-2])\b")
_OLD = ("60s", "70s", "80s", "90s", "old", "elderly", "grey", "gray", "white-haired")


def unit(*parts: str) -> float:
    """The storyboard painter's stable number in [0, 1) for a text (the same hash, so the same look)."""
    return int.from_bytes(hashlib.sha256("\x00".join(parts).encode()).digest()[:8], "big") / 2**64


def hex_rgb(value: str) -> RGB:
    value = value.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9][a-z0-9'-]*", text.lower())


def named_colour(text: str, nouns: str) -> RGB | None:
    """The colour a phrase gives one of ``nouns`` ("a yellow oilskin", "rain-dark jacket", "brass lantern")."""
    m = re.search(rf"\b([a-z-]+)\s+(?:[a-z-]+\s+)?(?:{nouns})\b", text.lower())
    if m is None:
        return None
    for word in (m.group(1), *m.group(0).split()[1:-1]):
        if word in COLOURS:
            return COLOURS[word]
    return None


@dataclass(frozen=True)
class Figure:
    height: float  # metres
    width: float  # shoulder width factor (1 = average)
    child: bool
    clothes: RGB
    scarf: RGB  # the character's colour
    skin: RGB
    hair: RGB | None  # None: bald


def figure_of(name: str, look: str, role: str, colour: str) -> Figure:
    text = f"{look} {role}".lower()
    words = set(_words(text))
    u = lambda key: unit(name, key)  # noqa: E731
    old = any(w in words or w in text for w in _OLD)
    child = bool(_CHILD.search(text))
    height = (0.92 + 0.14 * u("height") - (0.04 if old else 0)) * 1.74 * (0.62 if child else 1.0)
    height *= 1 + sum(v for k, v in _TALL.items() if k in words)
    width = (0.85 + 0.3 * u("build")) * (1 + sum(v for k, v in _WIDE.items() if k in words))
    hair = named_colour(text, "hair|hair's|beard") or (HAIRS[4] if old else HAIRS[int(u("hair") * 4)])
    if "bald" in words:
        hair = None
    elif "blond" in words or "blonde" in words:
        hair = (222, 196, 120)
    elif "red-haired" in words or "redhead" in words or "ginger" in words:
        hair = HAIRS[5]
    own = hex_rgb(colour)
    return Figure(round(height, 4), round(width, 4), child, named_colour(text, CLOTHES) or own, own,
                  SKINS[int(u("skin") * len(SKINS))], hair)  # fmt: skip


# ------------------------------------------------------------------ building
class _Model:
    """Named parts with one material each, baked into y-up coordinates."""

    Z_UP_TO_Y_UP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]], dtype=float)

    def __init__(self) -> None:
        import trimesh

        self.trimesh = trimesh
        self.scene = trimesh.Scene()

    def add(self, name: str, mesh, colour: RGB, *, at=(0.0, 0.0, 0.0), scale=(1.0, 1.0, 1.0), rough: float = 0.85,
            metal: float = 0.0, glow: RGB | None = None) -> None:  # fmt: skip
        from trimesh.visual.material import PBRMaterial

        mesh = mesh.copy()
        if scale != (1.0, 1.0, 1.0):
            mesh.apply_transform(np.diag([*scale, 1.0]))
        mesh.apply_translation(at)
        mesh.apply_transform(self.Z_UP_TO_Y_UP)
        mesh.visual = self.trimesh.visual.TextureVisuals(material=PBRMaterial(
            name=name, baseColorFactor=[*colour, 255], metallicFactor=metal, roughnessFactor=rough,
            emissiveFactor=None if glow is None else [c / 255 for c in glow]))  # fmt: skip
        self.scene.add_geometry(mesh, node_name=name, geom_name=name)

    def fit_height(self, height: float) -> None:
        """Scale the whole model (about its feet) so that its top is at ``height``."""
        top = max(g.bounds[1][1] for g in self.scene.geometry.values())
        for g in self.scene.geometry.values():
            g.apply_scale(height / top)

    def glb(self) -> bytes:
        buf = io.BytesIO()
        self.scene.export(buf, file_type="glb")
        return buf.getvalue()


def figure_glb(f: Figure) -> bytes:
    """A standing figure, feet on the ground, arms at its sides."""
    m = _Model()
    c = m.trimesh.creation
    h, w = f.height, f.width
    head_r = h * (0.085 if f.child else 0.066)
    leg_h = h * (0.42 if f.child else 0.47)
    torso_h = h * 0.3
    neck = leg_h + torso_h
    hip = 0.055 * h * w
    dark = (46, 44, 52)
    for side, x in (("left", -hip), ("right", hip)):
        m.add(f"leg_{side}", c.cylinder(radius=0.045 * h * min(w, 1.3), height=leg_h, sections=8), dark,
              at=(x, 0, leg_h / 2))  # fmt: skip
        m.add(f"shoe_{side}", c.box(extents=(0.07 * h, 0.14 * h, 0.05 * h)), (30, 26, 24), at=(x, 0.025 * h, 0.025 * h))
    m.add("torso", c.cylinder(radius=0.11 * h * w, height=torso_h * 1.12, sections=8), f.clothes,
          at=(0, 0, leg_h + torso_h * 0.5 - torso_h * 0.06), scale=(1.0, 0.62, 1.0))  # fmt: skip
    arm_h = torso_h * 1.05
    for side, x in (("left", -(0.11 * h * w + 0.035 * h)), ("right", 0.11 * h * w + 0.035 * h)):
        m.add(f"arm_{side}", c.cylinder(radius=0.032 * h, height=arm_h, sections=6), f.clothes,
              at=(x, 0, neck - arm_h / 2 - 0.01 * h))  # fmt: skip
        m.add(f"hand_{side}", c.icosphere(subdivisions=1, radius=0.033 * h), f.skin, at=(x, 0, neck - arm_h - 0.02 * h))
    m.add("scarf", c.cylinder(radius=0.05 * h, height=0.035 * h, sections=8), f.scarf, at=(0, 0, neck + 0.012 * h))
    head_z = neck + 0.03 * h + head_r
    m.add("head", c.icosphere(subdivisions=2, radius=head_r), f.skin, at=(0, 0, head_z), rough=0.7)
    if f.hair is not None:  # a cap set back on the head (+y here is -z, the back, in glTF)
        m.add("hair", c.icosphere(subdivisions=1, radius=head_r * 1.06), f.hair, at=(0, head_r * 0.12, head_z +
              head_r * 0.32), scale=(1.0, 1.0, 0.62))  # fmt: skip
    m.fit_height(h)  # the top of the head (or hair) at the figure's height
    return m.glb()


# ------------------------------------------------------------------ props
PROP_KINDS: dict[str, tuple[str, ...]] = {
    "lantern": ("lantern", "lamp", "beacon", "bulb", "light", "candle"),
    "box": ("box", "crate", "case", "suitcase", "parcel", "package", "toolbox", "chest", "trunk", "carton"),
    "paper": ("letter", "page", "map", "note", "card", "photo", "photograph", "ledger", "book", "notebook",
              "file", "envelope", "timetable", "ticket"),
    "bottle": ("bottle", "flask", "jar", "cup", "mug", "thermos", "can", "glass", "vial"),
    "radio": ("radio", "phone", "console", "headset", "walkie-talkie", "receiver", "transmitter"),
    "clock": ("clock", "watch", "compass", "stopwatch"),
    "stick": ("key", "knife", "sword", "stick", "staff", "pole", "oar", "rod", "cane", "umbrella", "torch",
              "flashlight", "pen", "pencil", "crowbar", "wrench", "spanner", "hammer", "rope"),
    "ball": ("ball", "orb", "stone", "rock", "globe", "apple", "egg", "pearl"),
    "bag": ("bag", "backpack", "rucksack", "satchel", "sack", "pack", "purse"),
    "hat": ("hat", "cap", "helmet", "hood"),
    "bike": ("bike", "bicycle", "cycle"),
}  # fmt: skip
_MATERIAL: dict[str, RGB] = {"lantern": COLOURS["brass"], "box": (150, 105, 60), "paper": COLOURS["cream"],
                             "bottle": (60, 120, 90), "radio": (60, 62, 66), "clock": COLOURS["silver"],
                             "stick": (120, 85, 50), "ball": (140, 136, 128), "bag": (120, 80, 45),
                             "hat": (50, 50, 56), "bike": (40, 90, 160), "thing": (150, 150, 160)}  # fmt: skip


def prop_kind(phrase: str) -> str:
    """The primitive for a prop: by its last word first ("lantern key" is a key), then any word."""
    words = _words(phrase)
    for word in [*words[-1:], *reversed(words[:-1])]:
        for kind, nouns in PROP_KINDS.items():
            if word in nouns or word.rstrip("s") in nouns:
                return kind
    return "thing"


def prop_glb(phrase: str) -> bytes:
    kind = prop_kind(phrase)
    nouns = "|".join(n for ns in PROP_KINDS.values() for n in ns) + "|" + "|".join(map(re.escape, _words(phrase)))
    colour = named_colour(phrase, nouns) or _MATERIAL[kind]
    m = _Model()
    c = m.trimesh.creation
    if kind == "lantern":
        m.add("base", c.cylinder(radius=0.09, height=0.04, sections=8), colour, at=(0, 0, 0.02), metal=0.8, rough=0.4)
        m.add("glass", c.cylinder(radius=0.07, height=0.18, sections=8), (255, 214, 140), at=(0, 0, 0.13), rough=0.2,
              glow=(255, 190, 90))  # fmt: skip
        m.add("cap", c.cone(radius=0.09, height=0.08, sections=8), colour, at=(0, 0, 0.22), metal=0.8, rough=0.4)
        handle = c.torus(major_radius=0.05, minor_radius=0.008, major_sections=12, minor_sections=6)
        handle.apply_transform(_quarter_turn(0))  # an upright loop over the cap
        m.add("handle", handle, colour, at=(0, 0, 0.33), metal=0.8)
    elif kind == "box":
        m.add("body", c.box(extents=(0.5, 0.35, 0.3)), colour, at=(0, 0, 0.15))
        m.add("lid", c.box(extents=(0.52, 0.37, 0.04)), tuple(int(v * 0.8) for v in colour), at=(0, 0, 0.32))
    elif kind == "paper":
        thick = 0.03 if any(w in _words(phrase) for w in ("book", "ledger", "notebook")) else 0.003
        m.add("sheet", c.box(extents=(0.21, 0.297, thick)), colour, at=(0, 0, thick / 2))
    elif kind == "bottle":
        m.add("body", c.cylinder(radius=0.045, height=0.2, sections=10), colour, at=(0, 0, 0.1), rough=0.2)
        m.add("neck", c.cylinder(radius=0.016, height=0.08, sections=8), colour, at=(0, 0, 0.24), rough=0.2)
    elif kind == "radio":
        m.add("body", c.box(extents=(0.08, 0.04, 0.16)), colour, at=(0, 0, 0.08), rough=0.5)
        m.add("antenna", c.cylinder(radius=0.005, height=0.12, sections=6), (20, 20, 22), at=(0.025, 0, 0.22))
    elif kind == "clock":
        m.add("face", c.cylinder(radius=0.1, height=0.025, sections=16), (240, 238, 230), at=(0, 0, 0.0125))
        m.add("rim", c.torus(major_radius=0.1, minor_radius=0.01, major_sections=16, minor_sections=6), colour,
              at=(0, 0, 0.0125), metal=0.9, rough=0.3)  # fmt: skip
    elif kind == "stick":
        m.add("shaft", c.cylinder(radius=0.015, height=0.9, sections=6), colour, at=(0, 0, 0.45))
    elif kind == "ball":
        m.add("ball", c.icosphere(subdivisions=1, radius=0.1), colour, at=(0, 0, 0.1))
    elif kind == "bag":
        m.add("body", c.box(extents=(0.36, 0.16, 0.42)), colour, at=(0, 0, 0.21))
        m.add("strap", c.torus(major_radius=0.12, minor_radius=0.012, major_sections=12, minor_sections=6), colour,
              at=(0, 0, 0.42))  # fmt: skip
    elif kind == "hat":
        m.add("brim", c.cylinder(radius=0.17, height=0.012, sections=12), colour, at=(0, 0, 0.006))
        m.add("crown", c.cylinder(radius=0.1, height=0.11, sections=12), colour, at=(0, 0, 0.065))
    elif kind == "bike":
        for side, y in (("back", -0.5), ("front", 0.5)):
            wheel = c.torus(major_radius=0.33, minor_radius=0.02, major_sections=16, minor_sections=6)
            wheel.apply_transform(_quarter_turn(1))  # upright, rolling along y
            m.add(f"wheel_{side}", wheel, (25, 25, 28), at=(0, y, 0.35))
        frame = c.cylinder(radius=0.02, height=1.0, sections=6)
        frame.apply_transform(_quarter_turn(0))  # along y
        m.add("frame", frame, colour, at=(0, 0, 0.55), metal=0.6, rough=0.4)
    else:  # anything else: a low-poly token of the right size to hold, in a neutral colour
        m.add("thing", c.icosphere(subdivisions=0, radius=0.12), colour, at=(0, 0, 0.12))
    return m.glb()


def _quarter_turn(axis: int) -> np.ndarray:
    """A 90° rotation about x (0) or y (1)."""
    import trimesh

    return trimesh.transformations.rotation_matrix(np.pi / 2, [1.0 if axis == 0 else 0.0, 1.0 if axis else 0.0, 0.0])
