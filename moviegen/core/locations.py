"""Every path moviegen uses, one function each (MOVIEGEN_HOME overrides the home)."""

from __future__ import annotations

import os
from pathlib import Path


def home_dir() -> Path:
    """Per-user state: config, keys, daemon files. ``MOVIEGEN_HOME`` overrides."""
    env = os.environ.get("MOVIEGEN_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "moviegen"


def config_file() -> Path:
    env = os.environ.get("MOVIEGEN_CONFIG_FILE")
    return Path(env).expanduser() if env else home_dir() / "config.toml"


def project_dir(root: Path, slug: str) -> Path:
    return root / slug


def project_config(path: Path) -> Path:
    return path / "moviegen.toml"


def story_dir(path: Path) -> Path:
    return path / "story"


def screenplay_file(path: Path) -> Path:
    return path / "screenplay.fountain"


def shots_file(path: Path) -> Path:
    return path / "shots.toml"


def assets_dir(path: Path) -> Path:
    return path / "assets"


def renders_dir(path: Path) -> Path:
    return path / "renders"


def state_dir(path: Path) -> Path:
    """Derived, rebuildable state (index database, caches, checkpoints)."""
    return path / ".moviegen"


def index_db(path: Path) -> Path:
    return state_dir(path) / "index.sqlite"


def checkpoints_db(path: Path) -> Path:
    return state_dir(path) / "checkpoints.sqlite"


def story_checkpoints_db(path: Path) -> Path:
    """Story development's graph state (paused stages waiting for approval), apart from the renders'."""
    return state_dir(path) / "story.sqlite"


def render_lock(path: Path) -> Path:
    return state_dir(path) / "render.lock"


def exports_dir(path: Path) -> Path:
    """What leaves the studio: screenplay PDF/FDX, the cut as OTIO/EDL/FCPXML."""
    return path / "exports"


def webhooks_db(path: Path) -> Path:
    """The project's webhooks, their outbox and delivery log (not derived: kept by a reindex)."""
    return state_dir(path) / "webhooks.sqlite"


def sheets_file(path: Path) -> Path:
    """Character sheets: each character's reference pictures (takes) and the one approved (human-readable)."""
    return path / "sheets.toml"


def models_3d_file(path: Path) -> Path:
    """The characters' and props' 3D models: which GLB in assets/ is whose (human-readable, beside sheets.toml)."""
    return path / "models.toml"


def shared_file(path: Path) -> Path:
    """What the project shared with other projects and took from them (human-readable, beside sheets.toml)."""
    return path / "shared.toml"


def soundtrack_file(path: Path) -> Path:
    """Music and sounds uploaded for scenes, by scene id (human-readable, beside shots.toml)."""
    return path / "soundtrack.toml"
