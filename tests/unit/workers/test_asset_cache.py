"""A worker's asset cache is trimmed to its size, least recently used first, never a file in use."""

from __future__ import annotations

import os
import time

from moviegen.workers import asset_cache


def make(root, name: str, size: int, age: float, now: float):
    path = root / name[:2] / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (now - age, now - age))
    return path


def test_the_oldest_go_first_down_to_80_percent_and_recent_files_stay(tmp_path):
    now = time.time()
    old = [make(tmp_path, f"a{i}.png", 100, 7200 - i, now) for i in range(6)]  # used 2 h ago, oldest first
    recent = [make(tmp_path, f"b{i}.wav", 100, 60, now) for i in range(4)]  # used a minute ago
    report = asset_cache.trim(tmp_path, limit_bytes=900, keep=600, now=now)
    assert report == {"files": 10, "bytes": 700, "removed": 3, "freed": 300}
    assert [p.exists() for p in old] == [False, False, False, True, True, True]
    assert all(p.exists() for p in recent)


def test_within_the_limit_nothing_goes_and_a_file_in_use_is_never_removed(tmp_path):
    now = time.time()
    files = [make(tmp_path, f"c{i}.png", 100, 3600, now) for i in range(3)]
    assert asset_cache.trim(tmp_path, 300, keep=600, now=now)["removed"] == 0
    asset_cache.used(files[0])  # a step has just found it here
    report = asset_cache.trim(tmp_path, 100, keep=600)  # over the limit: the two unused go, the used one stays
    assert report["removed"] == 2 and files[0].exists() and not files[1].exists()
    assert report["bytes"] == 100  # still over 80 % of the limit: what is in use is kept regardless


def test_the_folder_is_walked_at_most_once_a_pause(tmp_path):
    now = time.time()
    make(tmp_path, "d0.png", 500, 3600, now)
    first = asset_cache.trim_now_and_then(tmp_path, 100, keep=600, pause=60)
    assert first is not None and first["removed"] == 1
    make(tmp_path, "d1.png", 500, 3600, now)
    assert asset_cache.trim_now_and_then(tmp_path, 100, keep=600, pause=60) is None  # too soon: not walked
    assert (tmp_path / "d1" / "d1.png").exists()
    assert asset_cache.trim_now_and_then(tmp_path, 100, keep=600, pause=0)["removed"] == 1
