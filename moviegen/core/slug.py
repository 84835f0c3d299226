"""Safe project slugs: lowercase ASCII words joined by dashes, never a path."""

from __future__ import annotations

import re
import unicodedata

from moviegen.core.errors import UsageError

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def slugify(text: str, max_len: int = 48) -> str:
    """Turn a title into a slug: 'Lantern Road' -> 'lantern-road', 'Café ../x' -> 'cafe-x'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word[:max_len]
        if len(candidate) > max_len:
            break
        slug = candidate
    return slug or "untitled"


def validate_slug(slug: str) -> str:
    """Refuse anything that is not a plain slug (no separators, dots or traversal)."""
    if not _SLUG_RE.fullmatch(slug or ""):
        raise UsageError(
            f"'{slug}' is not a project name",
            "use the slug shown by 'moviegen list' (lowercase letters, digits and dashes)",
        )
    return slug
