"""The studio's one handle on everything: a brain (``moviegen.core.api.StudioAPI``). It is the running brain
server when there is one (``moviegen up`` or MOVIEGEN_BRAIN_URL), else a brain in this process; the panes call
its operations and never ask which kind they hold."""

from __future__ import annotations

from moviegen.core.api import StudioAPI
from moviegen.core.settings import Settings, get_settings


def open_brain(settings: Settings | None = None, *, use_server: bool = True) -> StudioAPI:
    """The running brain server's client, or an in-process brain whose render workers run at a lower priority
    (the keyboard comes first)."""
    from moviegen.brain.daemon import remote_brain

    remote = remote_brain() if use_server else None  # the CLI's own: the same URL, token and trust (--ca)
    if remote is not None:
        return remote
    from moviegen.brain.local import LocalBrain

    settings = settings or get_settings()
    return LocalBrain(settings, workers=settings.render.workers, nice=10)


def where(brain: StudioAPI) -> str:
    """What the studio works through, in words: 'in-process', or 'brain server at ws://…'."""
    url = getattr(brain, "url", None)
    return f"{brain.mode} at {url}" if url else brain.mode


def start_tracker() -> None:
    """Start multiprocessing's resource tracker now. An in-process brain's render workers need it, and it
    inherits stderr's descriptor: once Textual owns the terminal there is none to give (the render fails with
    'bad value(s) in fds_to_keep')."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


def stop_tracker(timeout: float = 2.0) -> None:
    """Stop the tracker start_tracker() started, unless a worker still holds it (the brain closed its pool,
    which stops it too; a studio that never rendered has no pool to do so). CPython has no public way: its
    ``_stop()`` closes the pipe the tracker watches and reaps it; a tracker still there at ``timeout`` is killed."""
    import multiprocessing
    import os
    import signal
    import threading
    from multiprocessing import resource_tracker

    tracker = resource_tracker._resource_tracker
    pid, stop = getattr(tracker, "_pid", None), getattr(tracker, "_stop", None)
    if pid is None or stop is None or multiprocessing.active_children():
        return
    stopper = threading.Thread(target=stop, name="moviegen-stop-tracker", daemon=True)
    stopper.start()
    stopper.join(timeout)
    if stopper.is_alive():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        stopper.join(1.0)
