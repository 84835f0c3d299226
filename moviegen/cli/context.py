"""What commands share: settings and the one brain they talk to (created lazily).

With a brain server up (`moviegen up`, or MOVIEGEN_BRAIN_URL), every command goes through it as a
RemoteBrain; otherwise the work happens in this process with a LocalBrain. Both implement the same
interface (moviegen.core.api), so no command asks which one it holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from moviegen.core.api import StudioAPI


class State:
    debug = False


_brain: StudioAPI | None = None


def brain(workers: int | None = None) -> StudioAPI:
    """The brain server when one is running, else an in-process brain (``workers``: its render processes;
    a brain server has its own)."""
    global _brain
    if _brain is None:
        from moviegen.brain.daemon import remote_brain

        _brain = remote_brain()  # wss:// verified as moviegen.brain.tls says (the global --ca)
        if _brain is None:
            from moviegen.brain.local import LocalBrain

            _brain = LocalBrain(workers=workers or None)
    return _brain


def close() -> None:
    """Stop what the brain started in this process (render workers, open stores, connections)."""
    global _brain
    if _brain is not None:
        held, _brain = _brain, None
        held.close()
