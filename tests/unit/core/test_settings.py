from __future__ import annotations

from moviegen.core import locations
from moviegen.core.settings import Settings


def test_environment_beats_config_file_beats_defaults(tmp_path, monkeypatch):
    cfg = tmp_path / "conf.toml"
    cfg.write_text('seed = 11\nprojects_dir = "from-file"\n[render]\nfps = 30\n')
    monkeypatch.setenv("MOVIEGEN_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("MOVIEGEN_SEED", "99")
    monkeypatch.setenv("MOVIEGEN_RENDER__CRF", "18")
    monkeypatch.delenv("MOVIEGEN_PROJECTS_DIR")
    s = Settings()
    assert (s.seed, str(s.projects_dir), s.render.fps, s.render.crf) == (99, "from-file", 30, 18)


def test_home_override(tmp_path, monkeypatch):
    monkeypatch.setenv("MOVIEGEN_HOME", str(tmp_path / "h"))
    assert locations.home_dir() == tmp_path / "h"
    assert locations.config_file() == tmp_path / "h" / "config.toml"
