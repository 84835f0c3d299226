"""The studio's job state and its one owner's rules (moviegen/tui/jobs.py): events and the brain's answers
fold into one view per job; an end is announced once; nothing comes after an end."""

from __future__ import annotations

import pytest

from moviegen.tui.jobs import JobBook, error_text

pytestmark = [pytest.mark.tui]


def event(kind: str, **data) -> dict:
    return {"kind": kind, "project": "p", "job": "job-1", "at": 100.0, **data}


def test_events_build_the_view_of_a_job_started_elsewhere():
    book = JobBook()
    book.apply(event("job.queued", job_kind="render"))
    book.apply(event("job.started"))
    view, ended = book.apply(event("job.progress", stage="voices", done=2, total=5))
    assert (view["status"], view["stages"], ended) == ("running", {"voices": {"done": 2, "total": 5}}, False)
    view, ended = book.apply(event("job.failed", error={"code": "x", "message": "scene 99 is not in the screenplay"}))
    assert (view["status"], ended, error_text(view)) == ("failed", True, "scene 99 is not in the screenplay")
    assert book.for_project("p") == [view] and book.active("p") is None


def test_an_end_is_announced_once_and_nothing_comes_after_it():
    book = JobBook()
    book.put({"id": "job-1", "project": "p", "status": "running", "stages": {}, "started": 1.0})
    assert book.apply(event("job.done"))[1] is True
    assert book.put({"id": "job-1", "project": "p", "status": "done", "stages": {}, "started": 1.0})[1] is False
    view, ended = book.put({"id": "job-1", "project": "p", "status": "running", "stages": {}, "started": 1.0})
    assert (view["status"], ended) == ("done", False)  # a listing read before the end, arriving after it
    assert book.apply(event("job.progress", stage="publish", done=1, total=1))[0]["status"] == "done"
    assert book.apply(event("job.cancelling")) is None and book.apply({"kind": "job.done"}) is None


def test_a_listing_keeps_the_progress_the_events_brought():
    book = JobBook()
    book.apply(event("job.progress", stage="voices", done=5, total=5))
    view, _ = book.put({"id": "job-1", "project": "p", "status": "running", "stages": {"pictures": {"done": 1, "total": 9}},
                        "started": 1.0})  # fmt: skip
    assert view["stages"] == {"voices": {"done": 5, "total": 5}, "pictures": {"done": 1, "total": 9}}
    assert book.active("p") is view


def test_an_interrupted_job_a_restarted_brain_took_up_runs_again_and_ends_once_more():
    book = JobBook()
    book.apply(event("job.started"))
    view, ended = book.apply(event("job.interrupted"))
    assert (view["status"], ended) == ("interrupted", True)
    view, ended = book.apply(event("job.resumed"))
    assert (view["status"], ended, book.active("p")["id"]) == ("running", False, "job-1")
    view, ended = book.apply(event("job.done"))
    assert (view["status"], ended) == ("done", True)
    assert book.apply(event("job.resumed")) is None and book.views["job-1"]["status"] == "done"  # not after done
    listing = JobBook()
    listing.put({"id": "job-2", "project": "p", "status": "interrupted", "stages": {}, "started": 1.0, "resumes": 0})
    assert listing.put({"id": "job-2", "project": "p", "status": "running", "stages": {}, "started": 1.0,
                        "resumes": 1})[0]["status"] == "running"  # fmt: skip
    assert listing.put({"id": "job-2", "project": "p", "status": "running", "stages": {}, "started": 1.0,
                        "resumes": 1})[0]["status"] == "running"  # fmt: skip
