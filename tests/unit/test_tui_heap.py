"""The studio's garbage-collection schedule: full passes only at quiet moments or when overdue, the
process's own settings given back on stop."""

from __future__ import annotations

import gc

from moviegen.tui import heap
from moviegen.tui.heap import HeapKeeper


def test_full_collections_wait_for_a_quiet_moment(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(heap.time, "monotonic", lambda: clock[0])
    fulls = []
    real_collect = gc.collect
    before = gc.get_threshold()
    keeper = HeapKeeper()
    keeper.start()
    try:
        assert gc.get_threshold()[2] == heap.NEVER and gc.get_threshold()[:2] == before[:2]
        monkeypatch.setattr(heap.gc, "collect", lambda *a: fulls.append(a) or 0)
        clock[0] += 0.5
        keeper.touched()
        clock[0] += 1.0
        keeper.tick()
        assert fulls == []  # a key came 1 s ago: not now
        clock[0] += heap.FULL_WHEN_QUIET
        keeper.tick()
        assert len(fulls) == 1  # quiet since the key: one full pass
        clock[0] += heap.CHECK_EVERY
        keeper.tick()
        assert len(fulls) == 1  # and only one per quiet moment (idle costs nothing)
        for _ in range(int(heap.FULL_AT_LATEST // 1.0) + 1):  # keys all the time: overdue after FULL_AT_LATEST
            keeper.touched()
            clock[0] += 1.0
            keeper.tick()
        assert len(fulls) == 2
    finally:
        monkeypatch.setattr(heap.gc, "collect", real_collect)
        keeper.stop()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
