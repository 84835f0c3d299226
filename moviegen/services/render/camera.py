"""Camera moves as float crop boxes over an overscanned still (no integer jitter)."""

from __future__ import annotations

OVERSCAN = 1.2  # stills are painted this much larger than the frame, for pans and pull-outs


def ease(t: float) -> float:
    """Smoothstep: starts and stops gently."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


def box(move: str, t: float, src_w: int, src_h: int) -> tuple[float, float, float, float]:
    """The source rectangle shown at time t in [0, 1] of the shot."""
    e = ease(t)
    base_w, base_h = src_w / OVERSCAN, src_h / OVERSCAN
    zoom, shift = 1.0, 0.0
    if move == "push-in":
        zoom = 1.0 + 0.14 * e
    elif move == "pull-out":
        zoom = 1.14 - 0.14 * e
    elif move == "pan-left":
        shift = 0.8 - 1.6 * e
    elif move == "pan-right":
        shift = -0.8 + 1.6 * e
    # hold: the camera does not move
    w, h = base_w / zoom, base_h / zoom
    margin = (src_w - w) / 2
    cx = src_w / 2 + shift * margin
    cy = src_h / 2 - (0.04 * h if move == "push-in" else 0.0)
    x0 = min(max(cx - w / 2, 0.0), src_w - w)
    y0 = min(max(cy - h / 2, 0.0), src_h - h)
    return x0, y0, x0 + w, y0 + h
