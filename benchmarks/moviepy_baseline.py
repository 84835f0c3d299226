"""The same timeline composed the way most peers do it (MoviePy: ImageClip-style
frames, per-frame crop+resize, a TextClip caption, concatenate, write_videofile).

It starts from moviegen's own assets for a render (the painted stills, camera
moves, action captions and the final mix), so only composition and encoding are
compared. Used by benchmarks/render.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from moviegen.services.render import camera

FONTS = [Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")]


def compose(project: Path, report: dict, out: Path, preset: str = "veryfast", crf: int = 21) -> None:
    from moviepy import AudioFileClip, CompositeVideoClip, TextClip, VideoClip, concatenate_videoclips

    fps, width, height = report["fps"], report["width"], report["height"]
    font = next((str(f) for f in FONTS if f.exists()), None)
    clips = []
    for shot in report["shots"]:
        still = Image.open(project / shot["frame"]).convert("RGB")
        sw, sh = still.size
        frames, move = shot["frames"], shot["camera"]

        def make_frame(t, still=still, frames=frames, move=move, sw=sw, sh=sh):
            i = min(frames - 1, int(round(t * fps)))
            box = camera.box(move, i / max(1, frames - 1), sw, sh)
            return np.asarray(still.resize((width, height), Image.BILINEAR, box=box))

        clip = VideoClip(make_frame, duration=frames / fps)
        if shot.get("caption") and font:
            text = TextClip(
                font=font,
                text=shot["caption"],
                font_size=max(14, height // 34),
                color="white",
                stroke_color="gray",
                stroke_width=1,
                method="caption",
                size=(int(width * 0.8), None),
            )
            clip = CompositeVideoClip(
                [clip, text.with_duration(clip.duration).with_position(("center", int(height * 0.04)))]
            )
        clips.append(clip)
    film = concatenate_videoclips(clips).with_audio(AudioFileClip(str(project / report["mix"])))
    film.write_videofile(
        str(out),
        fps=fps,
        codec="libx264",
        audio_codec="aac",
        preset=preset,
        threads=2,
        ffmpeg_params=["-crf", str(crf), "-bf", "0"],
        logger=None,
    )
