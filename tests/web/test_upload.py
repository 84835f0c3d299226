"""Uploads from the board page: a director's picture becomes a character's approved sheet, a file over 2 MiB
goes in pieces, a viewer's upload is refused by the tool's own check, a broken file is one line."""

from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image

from tests.web.conftest import SLUG
from tests.web.test_pages import client, csrf


def png(side: int) -> bytes:
    noise = np.random.default_rng(7).integers(0, 255, (side, side, 3), dtype=np.uint8)  # incompressible: big
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, "PNG")
    return buf.getvalue()


def test_a_directors_picture_becomes_the_approved_sheet_in_pieces_and_a_viewer_is_refused(world):
    import tomllib

    big = png(1100)  # ~3.6 MB: two media_upload pieces
    assert len(big) > 2 << 20
    with client(world, "director") as c:
        assert "Bring your own" in c.get(f"/p/{SLUG}/board").text
        r = c.post(f"/p/{SLUG}/upload", data={"kind": "character_sheet", "target": "mira"},
                   files={"file": ("mira.png", big, "image/png")}, headers=csrf(c))  # fmt: skip
        assert r.status_code == 200 and "MIRA: sheet (approved) kept as assets/" in r.text, r.text
        broken = c.post(f"/p/{SLUG}/upload", data={"kind": "scene_music", "target": "1"},
                        files={"file": ("x.mp3", b"ID3 not really an mp3 at all", "audio/mpeg")}, headers=csrf(c))  # fmt: skip
        assert "does not decode as audio" in broken.text or "not music or sound" in broken.text
    sheets = tomllib.loads((world.project_path() / "sheets.toml").read_text())
    asset = sheets["MIRA"]["takes"][sheets["MIRA"]["approved"] - 1]["asset"]
    assert Image.open(world.project_path() / asset).size == (1100, 1100)
    with client(world, "viewer") as c:
        assert "Bring your own" not in c.get(f"/p/{SLUG}/board").text
        r = c.post(f"/p/{SLUG}/upload", data={"kind": "character_sheet", "target": "mira"},
                   files={"file": ("m.png", png(80), "image/png")}, headers=csrf(c))  # fmt: skip
        assert r.status_code == 403 and 'data-code="access_denied"' in r.text
        forged = c.post(f"/p/{SLUG}/upload", data={"kind": "character_sheet", "target": "mira"},
                        files={"file": ("m.png", png(80), "image/png")}, headers={"HX-Request": "true"})  # fmt: skip
        assert forged.status_code == 403 and 'data-code="csrf"' in forged.text
    after = tomllib.loads((world.project_path() / "sheets.toml").read_text())
    assert after == sheets  # the refused uploads changed nothing


def test_a_writer_replaces_the_screenplay_with_a_file_and_a_broken_one_changes_nothing(world):
    path = world.project_path() / "screenplay.fountain"
    before = path.read_text(encoding="utf-8")
    with client(world, "writer") as c:
        page = c.get(f"/p/{SLUG}/text/screenplay").text
        assert 'class="replace"' in page
        digest = re.search(r'name="digest" value="([0-9a-f]*)"', page).group(1)
        new = before.replace("Rain hammers a narrow causeway.", "Rain lashes a narrow causeway.")
        r = c.post(f"/p/{SLUG}/text/screenplay/file", data={"digest": digest},
                   files={"file": ("draft-2.fountain", new.encode(), "text/plain")}, headers=csrf(c))  # fmt: skip
        assert r.status_code == 200 and "replaced with draft-2.fountain" in r.text, r.text
        assert path.read_text(encoding="utf-8") == new
        stale = c.post(f"/p/{SLUG}/text/screenplay/file", data={"digest": digest},  # the version it replaced
                       files={"file": ("old.fountain", before.encode(), "text/plain")}, headers=csrf(c))  # fmt: skip
        assert stale.status_code == 409 and path.read_text(encoding="utf-8") == new
        binary = c.post(f"/p/{SLUG}/text/screenplay/file", data={"digest": ""},
                        files={"file": ("still.png", png(80), "image/png")}, headers=csrf(c))  # fmt: skip
        assert "is not UTF-8 text" in binary.text and path.read_text(encoding="utf-8") == new
        path.write_text(before, encoding="utf-8")  # as it was, for the other tests
    with client(world, "viewer") as c:
        r = c.post(f"/p/{SLUG}/text/screenplay/file", data={"digest": ""},
                   files={"file": ("x.fountain", b"INT. NOWHERE - DAY\n\nNothing.\n", "text/plain")}, headers=csrf(c))  # fmt: skip
        assert r.status_code == 403 and path.read_text(encoding="utf-8") == before
