"""The cut's picture as a CMX 3600 EDL: the text OTIO's ``cmx_3600`` adapter writes (Avid style, 8-character
reel names) for the cut's ``V1 shots`` track, written straight from the ``Cut``.

The adapter takes about 75 ms for 500 shots however simple the timeline it is given (per clip it converts the
clip's effects and metadata to Python twice and finds the clip's place by walking the track up to it); this
takes a few. The tests hold the two to the same text and read it back through the adapter. Timecodes are
OTIO's own (``opentime.to_timecode``, non-drop frame at the film's whole-number rate).

One event a shot, record times on the film's clock from 00:00:00:00 (a gap is no event, as in the adapter),
each followed by the clip's name, its file's URL and the name its reel was cut from.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from moviegen.services.export.timeline_otio import Cut

REEL = 8  # characters of a reel name (the adapter's reelname_len)


def edl(cut: Cut) -> str:
    """``cut``'s shots as a CMX 3600 EDL."""
    from opentimelineio.opentime import RationalTime, to_timecode

    fps = float(cut.fps)

    def tc(frames: int) -> str:
        return to_timecode(RationalTime(frames, fps), fps)

    out = [f"TITLE: {cut.title}\n\n" if cut.title else ""]
    for number, shot in enumerate(cut.shots, 1):
        base = os.path.basename(shot.media)
        out.append(f"{number:03d}  {reel(base):8} {'V':5} C        {tc(0)} {tc(shot.frames)} "
                   f"{tc(shot.start)} {tc(shot.start + shot.frames)}\n"
                   f"* FROM CLIP NAME:  {shot.name}\n"
                   f"* FROM CLIP: {shot.media}\n"
                   f"* OTIO TRUNCATED REEL NAME FROM: {base}\n")  # fmt: skip
    return "".join(out)


def reel(name: str) -> str:
    """A file name as the adapter makes it a reel name: a letters-only extension dropped, then everything but
    letters, digits and spaces, cut or padded to 8 characters ('seg0000.mp4' is 'seg0000m')."""
    name = re.sub(r"[^ a-zA-Z0-9]+", "", re.sub(r"([.][a-zA-Z]+)$", "", name))
    return name[:REEL].ljust(REEL)
