"""Subtitles timed from the speech itself: one cue per line of dialogue, from the first word to the last."""

from __future__ import annotations

from moviegen.services.render.timeline import Timeline


def cues(tl: Timeline) -> list[tuple[float, float, str]]:
    """(start, end, text) per dialogue line: the span its words are spoken in — the provider's alignment when
    it measured one, else the whole (silence-trimmed) clip."""
    out = []
    for cut in tl.shots:
        for line in cut.lines:
            if line.narration:
                continue
            a, b = line.spoken if line.spoken is not None else (0.0, line.duration)
            out.append((line.start + a, line.start + b, line.text))
    return out


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt(tl: Timeline) -> str:
    blocks = [f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{text}\n" for i, (a, b, text) in enumerate(cues(tl), 1)]
    return "\n".join(blocks)


def vtt(tl: Timeline) -> str:
    blocks = [f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{text}\n" for a, b, text in cues(tl)]
    return "WEBVTT\n\n" + "\n".join(blocks)
