"""Pictures in the terminal. Everywhere: half blocks (▀ with the top pixel as foreground and the bottom one as
background), two pixels a cell. In terminals that speak a graphics protocol (Kitty's, or Sixel) the studio shows
the real image instead, through textual-image, when it was detected before the app started (``graphics()``)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

_GRAPHICS: type | None = None


_GRAPHIC_TERMS = ("kitty", "ghostty", "wezterm", "foot", "mlterm", "sixel", "contour")
_GRAPHIC_PROGRAMS = ("WezTerm", "ghostty", "iTerm.app", "kitty", "rio")


def _terminal_may_show_images() -> bool:
    term, program = os.environ.get("TERM", "").lower(), os.environ.get("TERM_PROGRAM", "")
    return "KITTY_WINDOW_ID" in os.environ or any(t in term for t in _GRAPHIC_TERMS) or program in _GRAPHIC_PROGRAMS


def detect_graphics() -> None:
    """Ask the terminal what it can show; must run before Textual takes the terminal over. Asking costs up to
    ~0.2 s in a terminal that does not answer, so by default (MOVIEGEN_GRAPHICS=auto) only terminals that say
    who they are (Kitty, Ghostty, WezTerm, foot, mlterm, iTerm2, …) are asked; 'on' always asks, 'off' never."""
    global _GRAPHICS
    mode = os.environ.get("MOVIEGEN_GRAPHICS", "auto").lower()
    if mode == "off" or (mode != "on" and not _terminal_may_show_images()):
        _GRAPHICS = None
        return
    try:
        from textual_image.renderable import Image as Auto
        from textual_image.renderable.sixel import Image as Sixel
        from textual_image.renderable.tgp import Image as TGP

        if Auto in (Sixel, TGP):
            from textual_image.widget import Image as Widget_

            _GRAPHICS = Widget_
    except Exception:  # noqa: BLE001 - no graphics is the ordinary case, never an error
        _GRAPHICS = None


def graphics() -> type | None:
    return _GRAPHICS


@lru_cache(maxsize=256)
def half_blocks(path: str, mtime: float, width: int, height: int) -> Text:
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB").resize((width, height * 2), Image.BILINEAR)
        data = im.tobytes()
    text = Text(no_wrap=True, overflow="crop")
    row = width * 3
    for y in range(0, height * 2, 2):
        top, bottom = data[y * row : (y + 1) * row], data[(y + 1) * row : (y + 2) * row]
        for x in range(0, row, 3):
            text.append(
                "▀",
                Style(color=f"rgb({top[x]},{top[x + 1]},{top[x + 2]})",
                      bgcolor=f"rgb({bottom[x]},{bottom[x + 1]},{bottom[x + 2]})"),
            )  # fmt: skip
        if y + 2 < height * 2:
            text.append("\n")
    return text


class Thumbnail(Widget):
    """A still drawn in half blocks, sized to the widget (16:9 unless told otherwise)."""

    DEFAULT_CSS = """
    Thumbnail { height: auto; width: 1fr; }
    """

    def __init__(self, path: str | None = None, *, empty: str = "not painted yet", **kwargs) -> None:
        super().__init__(**kwargs)
        self.path = path
        self.empty = empty

    def show(self, path: str | None) -> None:
        self.path = path
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return max(2, width * 9 // 32)

    def render(self) -> Text:
        width = max(4, self.content_size.width)
        height = max(2, self.content_size.height)
        if not self.path or not Path(self.path).exists():
            return Text(self.empty, style="dim italic")
        return half_blocks(self.path, Path(self.path).stat().st_mtime, width, height)
