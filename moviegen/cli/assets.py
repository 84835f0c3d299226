"""moviegen assets: media made for the cast and props beyond the film itself — 3D models (GLB) today."""

from __future__ import annotations

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, out

assets_app = typer.Typer(
    help="Assets made from the story (3D models of the cast and props), and the shared store workers fetch them from.",
    no_args_is_help=True,
)


@assets_app.command("3d")
def models_3d(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    targets: list[str] = typer.Argument(
        None, metavar="TARGET",
        help="character:NAME or prop:NOUN (a bare name is a character); none: every character.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the models as JSON."),
) -> None:  # fmt: skip
    """Make a low-poly 3D model (GLB) per character or prop: a figure with the character's build, look and
    colour, or a primitive for the prop; stored in assets/, named in models.toml, linked in the story graph."""
    result = context.brain().assets_3d(slug, targets or None)
    if json_out:
        emit_json(result)
        return
    for m in result["models"]:
        about = f"{m['height_m']:.2f} m tall" if "height_m" in m else f"a {m['shape']}"
        line = f"{m['node']}: {about}, {m['bytes']:,} bytes ({m['provider']})\n  {m['asset']}"
        out.print(line, markup=False, emoji=False, highlight=False)


from moviegen.cli import asset_store  # noqa: E402, F401  (registers 'assets push' and 'assets pull' on assets_app)
