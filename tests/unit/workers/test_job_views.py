"""A job's view may be read by another thread (an in-process follower draws its bars from it) while the job's
own thread records progress: what a view holds never changes under its reader."""

from __future__ import annotations

import sys
import threading

from moviegen.workers.jobs import Job


def test_a_view_read_while_stages_progress_never_changes_under_its_reader():
    job = Job(id="job-x", project="p", kind="render")
    stop, failures = threading.Event(), []

    def read():
        while not stop.is_set():
            try:
                for _stage, p in job.view()["stages"].items():  # what cli/follow.py does with each view
                    _ = p["done"], p["total"]
            except RuntimeError as exc:  # "dictionary changed size during iteration"
                failures.append(exc)
                return

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the threads take turns often, so a reader is caught mid-iteration if it can be
    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(3000):  # a new stage each time: the dict grows while it is read
            job.progressed(f"stage-{i}", i, 3000)
    finally:
        stop.set()
        reader.join(10)
        sys.setswitchinterval(interval)
    assert not failures, failures[0]
    assert len(job.stages) == 3000 and job.stages["stage-2999"] == {"done": 2999, "total": 3000}
