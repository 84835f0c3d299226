"""The FAL.ai providers against a local server that speaks FAL's documented queue API over real HTTP
(tests/fakes/fal_server.py): submit, poll with logs, result, download; references; clips; every failure kind;
deadlines and cancellation reaching FAL; the router's ledger."""

from __future__ import annotations

import base64
import io
import threading

import pytest
from PIL import Image

from moviegen.brain.local import LocalBrain
from moviegen.brain.providers.fal_images import FalImages
from moviegen.brain.providers.fal_queue import app_path
from moviegen.brain.providers.fal_video import FalVideo, probe
from moviegen.core.brain import CharacterLook, ImageRequest, ImageResult, VideoRequest
from moviegen.core.errors import (
    JobCancelledError,
    ProviderAuthError,
    ProviderDeadlineError,
    ProviderError,
    ProviderResponseError,
    ProviderUnavailableError,
    RateLimitedError,
)
from moviegen.core.settings import FalSettings, Price, RouterSettings, Settings
from tests.fakes.fal_server import KEY, FakeFal, Job, Malformed, Status

FLUX = "fal-ai/flux/dev"
SEEDREAM = "fal-ai/bytedance/seedream/v4/edit"
KLING = "fal-ai/kling-video/v2.1/standard/image-to-video"


@pytest.fixture
def fake():
    with FakeFal() as f:
        yield f


def settings_for(fake, tmp_path, key=KEY, **fal):
    return Settings(projects_dir=tmp_path / "projects", home=tmp_path / "home", fal_key=key,
                    fal_queue_url=fake.base_url, router=RouterSettings(backoff=0.01, timeout=5.0),
                    fal=FalSettings(**{"poll_interval": 0.01, "max_poll_interval": 0.03, **fal}))  # fmt: skip


def png(width, height, colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, format="PNG")
    return buf.getvalue()


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def shot(**kw) -> ImageRequest:
    return ImageRequest(**{"prompt": "A lighthouse keeper climbs the stairs in a storm", "width": 640, "height": 360,
                           "seed": 3, **kw})  # fmt: skip


def test_a_still_is_submitted_polled_with_logs_fetched_and_downloaded(tmp_path, fake):
    fake.jobs = [Job(queued=2, running=3)]
    updates = []
    provider = FalImages(settings_for(fake, tmp_path))
    result = provider.generate(shot(), on_progress=updates.append)

    assert (result.provider, result.model, result.usage.images) == ("fal", FLUX, 1)
    image = opened(result.png)
    assert (image.format, image.size, result.width, result.height) == ("PNG", (640, 360), 640, 360)
    submit = fake.seen("submit")[0]
    assert submit.path == "/fal-ai/flux/dev" and submit.headers["authorization"] == f"Key {KEY}"
    assert submit.body == {"prompt": "A lighthouse keeper climbs the stairs in a storm",
                           "image_size": {"width": 640, "height": 360}, "seed": 3, "num_images": 1,
                           "output_format": "png"}  # fmt: skip
    request_id = next(iter(fake.queued))
    polls = fake.seen("status")
    assert {p.path for p in polls} == {f"/fal-ai/flux/requests/{request_id}/status"}  # the app, not the subpath
    assert all(p.query["logs"] == ["1"] for p in polls) and len(polls) == 6  # 2 queued, 3 running, completed
    assert [r.path for r in fake.seen("result")] == [f"/fal-ai/flux/requests/{request_id}"]
    # queue positions, then each log line once, in order
    assert [(u.status, u.position) for u in updates[:2]] == [("IN_QUEUE", 1), ("IN_QUEUE", 0)]
    assert [line for u in updates for line in u.logs] == ["Loading the model", "Generating", "Saving the result"]
    assert updates[-1].status == "COMPLETED" and all(u.request_id == request_id for u in updates)
    download = fake.seen("file")[0]
    assert "authorization" not in download.headers  # the key goes to the queue host only


def test_stills_with_sheets_use_the_reference_model_and_send_each_sheet(tmp_path, fake):
    sheets = [png(300, 400, (200, 30, 30)), png(300, 400, (30, 30, 200))]
    cast = [CharacterLook(name="Mara", look="red oilskin coat"), CharacterLook(name="Tom", look="grey beard")]
    result = FalImages(settings_for(fake, tmp_path)).generate(shot(characters=cast, references=sheets))

    assert result.model == SEEDREAM and result.usage.images == 1
    submit = fake.seen("submit")[0]
    assert submit.path == f"/{SEEDREAM}"
    assert submit.files == sheets  # the data URIs decode to the very sheets
    assert all(u.startswith("data:image/png;base64,") for u in submit.body["image_urls"])
    prompt = submit.body["prompt"]
    assert prompt.startswith("A lighthouse keeper") and "image 1: Mara (red oilskin coat)" in prompt
    assert "image 2: Tom (grey beard)" in prompt
    assert set(submit.body) == {"prompt", "image_urls", "image_size", "seed", "num_images"}
    # Seedream scaled 640x360 up to its minimum area; the still comes back at the size asked for
    served = opened(fake.files[next(iter(fake.files))][0]).size
    assert served == (1280, 720) and opened(result.png).size == (640, 360)


def test_a_large_sheet_is_sent_scaled_down_and_pulid_takes_the_first(tmp_path, fake):
    big = png(2000, 3000)
    provider = FalImages(settings_for(fake, tmp_path), f"{FLUX},fal-ai/flux-pulid")
    result = provider.generate(shot(references=[big, png(64, 64)]))
    assert result.model == "fal-ai/flux-pulid"
    submit = fake.seen("submit")[0]
    assert set(submit.body) == {"prompt", "reference_image_url", "image_size", "seed"}
    assert opened(submit.files[0]).size == (683, 1024)


def test_jpeg_and_odd_sizes_become_a_png_of_the_requested_size(tmp_path, fake):
    fake.jobs = [Job(media="jpeg", size=(700, 500))]
    result = FalImages(settings_for(fake, tmp_path)).generate(shot())
    assert fake.files[next(iter(fake.files))][1] == "image/jpeg"
    image = opened(result.png)
    assert (image.format, image.size) == ("PNG", (640, 360))


def test_a_clip_is_made_from_the_still(tmp_path, fake):
    still = png(640, 360, (20, 120, 60))
    provider = FalVideo(settings_for(fake, tmp_path))
    result = provider.generate(VideoRequest(prompt="The lamp turns", image=still, duration=4, width=640, height=360))

    submit = fake.seen("submit")[0]
    assert submit.path == f"/{KLING}" and set(submit.body) == {"prompt", "image_url", "duration"}
    assert submit.body["duration"] == "5" and submit.files == [still]
    assert fake.seen("status")[0].path.startswith("/fal-ai/kling-video/requests/")
    assert result.mp4[4:8] == b"ftyp" and (result.provider, result.model) == ("fal", KLING)
    assert result.duration == pytest.approx(5.0, abs=0.2) and (result.width, result.height) == (480, 270)
    assert result.usage.seconds == 5.0  # what FAL bills Kling by
    assert probe(result.mp4)[0] == result.duration

    long = provider.generate(VideoRequest(prompt="The storm", image=still, duration=8, width=640, height=360))
    assert fake.seen("submit")[1].body["duration"] == "10" and long.usage.seconds == 10.0


def test_a_refused_key_is_one_clear_error_that_names_fal_key_and_shows_no_key(tmp_path, fake):
    fake.key = "another-key:0000"
    provider = FalImages(settings_for(fake, tmp_path))
    with pytest.raises(ProviderAuthError) as info:
        provider.generate(shot())
    assert "FAL_KEY" in info.value.hint and "401" in info.value.message
    assert len(fake.requests) == 1  # not retried, nothing polled
    for text in (info.value.message, info.value.hint, repr(provider), repr(provider.queue), repr(info.value)):
        assert KEY not in text and KEY.split(":")[1] not in text


def test_no_key_is_an_error_naming_fal_key(tmp_path, fake):
    with pytest.raises(ProviderAuthError) as info:
        FalVideo(settings_for(fake, tmp_path, key=None))
    assert "FAL_KEY" in info.value.hint


def test_a_key_echoed_by_the_server_is_blanked_out(tmp_path, fake):
    fake.faults = [Status(400, message=f"the key {KEY} may not call this model")]
    with pytest.raises(ProviderError) as info:
        FalImages(settings_for(fake, tmp_path)).generate(shot())
    assert KEY not in info.value.message and "***" in info.value.message


def test_a_429_carries_its_retry_after(tmp_path, fake):
    fake.faults = [Status(429, message="Too many concurrent requests", retry_after="7")]
    with pytest.raises(RateLimitedError) as info:
        FalImages(settings_for(fake, tmp_path)).generate(shot())
    assert info.value.retry_after == 7.0 and "Too many concurrent requests" in info.value.message


def test_a_500_is_unavailable_and_a_malformed_answer_a_response_error(tmp_path, fake):
    provider = FalImages(settings_for(fake, tmp_path))
    fake.faults = [Status(500, message="Internal Server Error")]
    with pytest.raises(ProviderUnavailableError, match="500: Internal Server Error"):
        provider.generate(shot())
    fake.faults = [Malformed()]
    with pytest.raises(ProviderResponseError, match="not JSON"):
        provider.generate(shot())
    fake.faults = [Malformed(on="result")]
    with pytest.raises(ProviderResponseError, match="not JSON"):
        provider.generate(shot())


def test_a_request_that_fails_at_fal_says_why(tmp_path, fake):
    provider = FalImages(settings_for(fake, tmp_path))
    fake.jobs = [Job(error="CUDA out of memory", error_type="runner_server_error")]
    with pytest.raises(ProviderUnavailableError, match="CUDA out of memory"):
        provider.generate(shot())
    fake.jobs = [Job(error="Image too large", error_status=422, error_type="bad_request")]
    with pytest.raises(ProviderError, match="refused request .*Image too large") as info:
        provider.generate(shot())
    assert not isinstance(info.value, ProviderUnavailableError)  # a refusal is not retried


def test_input_the_model_does_not_take_is_refused_by_fal_with_its_detail(tmp_path, fake):
    provider = FalImages(settings_for(fake, tmp_path), "fal-ai/flux-pulid")  # PuLID needs a reference image
    with pytest.raises(ProviderError) as info:
        provider.generate(shot())
    assert "422" in info.value.message and "reference_image_url: Field required" in info.value.message
    assert "num_images: Extra inputs are not permitted" in info.value.message
    assert len(fake.seen("submit")) == 1 and len(fake.seen("result")) == 1  # accepted, then refused when run


def test_a_deadline_cancels_the_request_at_fal(tmp_path, fake):
    fake.jobs = [Job(queued=1, forever=True)]
    with pytest.raises(ProviderDeadlineError, match="did not finish .* within 0.3 s") as info:
        FalImages(settings_for(fake, tmp_path, deadline=0.3)).generate(shot())
    assert "MOVIEGEN_FAL__DEADLINE" in info.value.hint
    request_id = next(iter(fake.queued))
    assert [(r.method, r.path) for r in fake.seen("cancel")] == [("PUT", f"/fal-ai/flux/requests/{request_id}/cancel")]
    assert fake.queued[request_id].cancelled and not fake.seen("result")


def test_cancelling_the_job_cancels_the_remote_request(tmp_path, fake):
    fake.jobs = [Job(forever=True)]
    cancel = threading.Event()
    with pytest.raises(JobCancelledError):
        FalVideo(settings_for(fake, tmp_path)).generate(
            VideoRequest(prompt="x", image=png(64, 64), duration=5, width=64, height=64),
            on_progress=lambda update: cancel.set(), cancel=cancel)  # fmt: skip
    assert len(fake.seen("cancel")) == 1 and next(iter(fake.queued.values())).cancelled


def test_passing_poll_failures_are_ridden_out_and_foreign_urls_ignored(tmp_path, fake):
    fake.jobs = [Job(running=2, foreign_urls=True)]
    fake.faults = [Status(503, on="status"), Status(429, retry_after="0", on="status")]
    result = FalImages(settings_for(fake, tmp_path)).generate(shot())
    assert opened(result.png).size == (640, 360)
    assert len(fake.seen("status")) == 5  # two failed polls, then running twice, then completed
    assert all(r.path.startswith("/fal-ai/flux/requests/") for r in fake.seen("status") + fake.seen("result"))


def test_result_files_are_checked_for_type_and_size(tmp_path, fake):
    fake.jobs = [Job(media="html")]
    with pytest.raises(ProviderResponseError, match="text/html"):
        FalImages(settings_for(fake, tmp_path)).generate(shot())
    with pytest.raises(ProviderResponseError, match="over the .* MB cap"):
        FalImages(settings_for(fake, tmp_path, max_download_mb=0.001)).generate(shot(width=800, height=600))
    fake.faults = [Status(503, on="file")]
    with pytest.raises(ProviderUnavailableError, match="could not be fetched"):
        FalImages(settings_for(fake, tmp_path)).generate(shot())


def test_an_unknown_model_is_named(tmp_path, fake):
    with pytest.raises(ProviderError, match="FAL has no model 'fal-ai/no-such-model'"):
        FalImages(settings_for(fake, tmp_path), "fal-ai/no-such-model").generate(shot())


def test_app_paths():
    assert app_path("fal-ai/flux/dev") == "fal-ai/flux"
    assert app_path("fal-ai/kling-video/v2.1/standard/image-to-video") == "fal-ai/kling-video"
    assert app_path("workflows/someone/my-flow/run") == "workflows/someone/my-flow"
    with pytest.raises(ProviderError):
        app_path("flux")


def test_through_the_router_the_ledger_prices_each_still_and_the_cache_keeps_it(tmp_path, fake):
    settings = settings_for(fake, tmp_path)
    settings.providers.image = ["fal", "storyboard-painter"]
    settings.prices = {"fal": Price(per_image=0.025)}
    brain = LocalBrain(settings, workers=1)
    brain.project_create("A keeper races a storm to light the lamp", slug="p")
    request = shot(project_id="p", references=[png(120, 160)], characters=[CharacterLook(name="Mara")])
    try:
        first = brain.router.call("image", request, ImageResult)
        again = brain.router.call("image", request, ImageResult)
        assert first.provider == "fal" and again.png == first.png  # the cache keeps the PNG byte for byte
        assert len(fake.seen("submit")) == 1  # never billed twice
        entries = list(reversed(brain.cost_report("p", entries=10)["entries"]))
        assert [(e["capability"], e["provider"], e["model"], e["status"]) for e in entries] == [
            ("image", "fal", SEEDREAM, "ok"), ("image", "fal", SEEDREAM, "cached")]  # fmt: skip
        assert entries[0]["units"] == {"images": 1} and entries[0]["cost_usd"] == pytest.approx(0.025)

        fake.key = "revoked:0"  # a refused key falls back to the offline painter
        fallback = brain.router.call("image", shot(project_id="p", seed=4), ImageResult)
        assert fallback.provider == "storyboard-painter"
        last = brain.cost_report("p", entries=10)["entries"]
        assert [(e["provider"], e["status"]) for e in last[:2]] == [("storyboard-painter", "ok"), ("fal", "failed")]
    finally:
        brain.close()


def test_image_results_travel_as_base64_json():
    result = ImageResult(png=png(8, 8), width=8, height=8, provider="fal")
    dumped = result.model_dump(mode="json")
    assert base64.urlsafe_b64decode(dumped["png"]) == result.png
    assert ImageResult.model_validate(dumped) == result
