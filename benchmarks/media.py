"""Online pictures and voices (issue #12), measured against the local fakes of FAL and ElevenLabs.

    python benchmarks/media.py            # about a minute and a half
    python benchmarks/media.py --runs 5

- stills: 40 shots through the render's step runner to a fake FAL whose requests each run 1 s, at most 8 at
  once (its queue holds the rest): wall time, against the ideal of ceil(40 / 8) x 1 s;
- subtitles: a film voiced by the fake ElevenLabs; every cue's start and end against the character alignment
  the fake returned (the largest error, in ms);
- re-render after a one-line dialogue edit with online voices: provider calls made, and its wall time against
  the full render's (both with the fakes answering at once, so provider latency is not counted), at the default
  1280x720 (``--resolution`` for another: the edit's cost, the whole film's mix and its AAC encode, does not
  shrink with the picture, so a smaller film gives a larger ratio).
Medians of several runs.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHOTS, LATENCY, FAL_CONCURRENCY = 40, 1.0, 8
RESOLUTION = "1280x720"  # the default a user renders at (--resolution to measure another)


def stills_wall(root: Path) -> float:
    """Seconds for 40 stills through RenderRun.execute, FAL answering each in 1 s, 8 at a time."""
    from moviegen.brain.local import LocalBrain
    from moviegen.core.events import ignore
    from moviegen.core.index import ProjectIndex
    from moviegen.core.models import FilmFormat
    from moviegen.core.settings import Settings
    from moviegen.services.render.execution import RenderRun
    from moviegen.services.render.pipeline import RenderOptions
    from moviegen.services.render.timeline import content_key
    from moviegen.workers.pool import InlineRunner
    from tests.fakes.fal_server import KEY, FakeFal

    with FakeFal(latency=LATENCY, concurrency=FAL_CONCURRENCY) as fal:
        brain = LocalBrain(Settings(projects_dir=root / "projects", home=root / "home", fal_key=KEY,
                                    fal_queue_url=fal.base_url), workers=1)  # fmt: skip
        try:
            brain.project_create("A keeper races a storm to light the lamp", slug="bench")
            project = brain.project("bench")
            index = ProjectIndex(project.path)
            run = RenderRun(project, RenderOptions(fmt=FilmFormat()), InlineRunner(brain), brain.chain_heads("bench"),
                            ignore, index, media=brain)  # fmt: skip
            items = []
            for i in range(SHOTS):
                req = {"prompt": f"shot {i}: the keeper climbs the stairs", "width": 640, "height": 360, "seed": i}
                job = run.job_for("image", {"project": str(project.path), "request": req, "references": []})
                items.append(("frame", content_key("bench", i, time.time()), f"shot{i}", job))
            started = time.perf_counter()
            results = run.execute("pictures", items)
            wall = time.perf_counter() - started
            assert len(results) == SHOTS and all(r["provider"] == "fal" for r in results.values())
            index.close()
            return wall
        finally:
            brain.close()


def film_figures(root: Path) -> dict[str, float]:
    """Subtitle error against the alignment, and the one-line re-render (calls, wall against the full render)."""
    import numpy as np

    from moviegen.brain.local import LocalBrain
    from moviegen.core import locations
    from moviegen.core.settings import FalSettings, Settings
    from tests.conftest import FIXTURES, SAMPLE
    from tests.fakes.elevenlabs_server import KEY, FakeElevenLabs, char_seconds

    with FakeElevenLabs() as eleven:
        brain = LocalBrain(Settings(projects_dir=root / "projects", home=root / "home", elevenlabs_api_key=KEY,
                                    elevenlabs_base_url=eleven.base_url, fal=FalSettings()), workers=1)  # fmt: skip
        try:
            source = SAMPLE if SAMPLE.exists() else FIXTURES / "lantern_road.fountain"
            brain.project_import(source.read_text(encoding="utf-8"), slug="film")
            path = brain.project("film").path
            brain.shots_plan("film")

            def render() -> tuple[dict, float]:
                started = time.perf_counter()
                job = brain.render_start("film", resolution=RESOLUTION)
                final = list(brain.follow(job["id"], timeout=600))[-1]
                assert final["status"] == "done", final
                return final["result"], time.perf_counter() - started

            report, full = render()
            speed = {r.body["text"]: (r.body.get("voice_settings") or {}).get("speed", 1.0)
                     for r in eleven.calls("/with-timestamps")}  # fmt: skip
            stamps = re.findall(r"(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})",
                                Path(report["subtitles"][0]).read_text())  # fmt: skip
            lines = [ln for s in report["shots"] for ln in s["lines"]]
            worst = 0.0
            for cue, line in zip(stamps, lines, strict=True):
                a = int(cue[0]) * 3600 + int(cue[1]) * 60 + int(cue[2]) + int(cue[3]) / 1000
                b = int(cue[4]) * 3600 + int(cue[5]) * 60 + int(cue[6]) + int(cue[7]) / 1000
                bounds = np.cumsum([0.0] + [char_seconds(c) / speed[line["text"]] for c in line["text"]])
                letters = [i for i, c in enumerate(line["text"]) if c.isalnum()]
                worst = max(worst, abs(a - line["start"] - bounds[letters[0]]),
                            abs(b - line["start"] - bounds[letters[-1] + 1]))  # fmt: skip
            before = len(eleven.requests)
            screenplay = locations.screenplay_file(path)
            screenplay.write_text(
                screenplay.read_text().replace("Then I have fifty-nine minutes.", "Then I have fifty-eight minutes.")
            )
            _, again = render()
            return {"subtitle_error_ms": worst * 1000, "edit_calls": len(eleven.requests) - before,
                    "full_s": full, "edit_s": again, "edit_ratio": again / full}  # fmt: skip
        finally:
            brain.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--resolution", default=RESOLUTION, help="of the film re-rendered after the edit")
    args = parser.parse_args()
    globals()["RESOLUTION"] = args.resolution
    walls, films = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            walls.append(stills_wall(Path(tmp) / "stills"))
            films.append(film_figures(Path(tmp) / "film"))
    ideal = math.ceil(SHOTS / FAL_CONCURRENCY) * LATENCY
    wall = statistics.median(walls)
    print(f"stills: {SHOTS} shots, FAL 1 s each, 8 at once: {wall:.2f} s (runs {', '.join(f'{w:.2f}' for w in walls)}); "
          f"ideal {ideal:.1f} s, x{wall / ideal:.2f}; goal <= 6 s")  # fmt: skip
    med = {k: statistics.median(f[k] for f in films) for k in films[0]}
    print(f"subtitles: largest cue error against the alignment {med['subtitle_error_ms']:.1f} ms (goal <= 41.7 ms)")
    print(
        f"one-line edit: {med['edit_calls']:.0f} provider call(s); re-render {med['edit_s']:.2f} s vs full "
        f"{med['full_s']:.2f} s = {med['edit_ratio'] * 100:.1f} % (goal 1 call, <= 10 %)"
    )


if __name__ == "__main__":
    main()
