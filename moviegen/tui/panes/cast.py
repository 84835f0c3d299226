"""Cast: every character with look and voices; play a voice sample; recast a voice (eSpeak or ElevenLabs) and
see the shots whose lines will be spoken again; paint a character sheet take and approve one (the reference
picture an online image model keeps the character's face and costume from)."""

from __future__ import annotations

import atexit
import base64
import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from moviegen.tui.panes.base import Pane
from moviegen.tui.widgets.dialogs import PromptDialog
from moviegen.tui.widgets.tables import selected_key

PLAYERS = (["paplay"], ["aplay", "-q"], ["afplay"], ["ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet"])


@functools.cache
def _scratch() -> Path:
    """A folder of this process's own for samples that came over the wire, removed when the studio ends."""
    folder = Path(tempfile.mkdtemp(prefix="moviegen-samples-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


class CastPane(Pane):
    WATCHES = frozenset({"screenplay", "story", "cast"})
    BINDINGS = [
        Binding("p", "play", "Play voice"),
        Binding("v", "voice", "Change voice"),
        Binding("s", "sheet", "Paint sheet"),
        Binding("a", "approve_sheet", "Approve sheet"),
    ]

    def compose(self) -> ComposeResult:
        yield DataTable(id="cast-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="cast-detail")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("character", "voice", "pitch", "rate", "sheet", "speaks in", "look")
        self.people: dict[str, dict] = {}
        self.reload()

    def reload(self) -> None:
        self.background(lambda: self.brain.cast_list(self.slug), self._show, group="cast-read")

    def _show(self, cast: list[dict]) -> None:
        if cast == list(self.people.values()):
            return  # as shown already (the cursor stays where it is)
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        self.people = {c["name"]: c for c in cast}
        for c in cast:
            shots = c["shots"]
            table.add_row(
                c["name"], c["elevenlabs_voice"] or c["espeak"], str(c["pitch"]), str(c["rate"]), _sheet_cell(c),
                f"{len(shots)} shot(s)" if shots else "—", c["look"] or "—", key=c["name"],
            )  # fmt: skip
        if cast:
            table.move_cursor(row=min(row, len(cast) - 1))
        else:
            self.query_one("#cast-detail", Static).update("no cast yet — develop the story or import a screenplay")

    def selected(self) -> dict | None:
        key = selected_key(self.query_one(DataTable))
        return self.people.get(key) if key else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        c = self.selected()
        if c is None:
            return
        self.query_one("#cast-detail", Static).update(
            f"[b]{c['name']}[/b] {c['role'] or ''}\n"
            f"look: {c['look'] or '—'}\nvoice: {c['voice'] or '(chosen from the look)'} → {c['espeak']}, "
            f"pitch {c['pitch']}, rate {c['rate']}"
            + (f"; ElevenLabs: {c['elevenlabs_voice']}" if c.get("elevenlabs_voice") else "")
            + f"\nsheet: {_sheet_cell(c)}"
            + (f" — {c['sheet']['asset']}" if (c.get("sheet") or {}).get("asset") else "")
            + (f"\n3D model: {c['model3d']['asset']} ({c['model3d']['provider']})" if c.get("model3d") else "")
            + f"\nspeaks in shots: {', '.join(c['shots']) or '—'}\n"
            "[dim]p plays a sample · v changes the voice · s paints a sheet take · a approves the newest[/dim]"
        )

    def action_play(self) -> None:
        c = self.selected()
        if c is None:
            return
        self.background(lambda: self._sample(c["name"]), self._play, group="voice")

    def _sample(self, name: str) -> Path:
        """The sample as a file here: the project's own when this machine has the project (in-process, or
        ``moviegen up``), else a copy of the WAV the brain sent."""
        sample = self.brain.voice_sample(self.slug, name)
        kept = Path(self.status["path"], sample["file"]) if self.status.get("path") else None
        if kept is not None and kept.is_file():
            return kept
        copy = _scratch() / Path(sample["file"]).name
        copy.write_bytes(base64.b64decode(sample["wav_base64"]))
        return copy

    def _play(self, path: Path) -> None:
        player = next((cmd for cmd in PLAYERS if shutil.which(cmd[0])), None)
        if player is None:
            self.app.notify(f"voice sample written to {path} (no audio player found)")
            return
        subprocess.Popen([*player, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.app.notify(f"playing {path.name}")

    def action_voice(self) -> None:
        c = self.selected()
        if c is None:
            return

        def chosen(voice: str | None) -> None:
            if voice:
                self.background(lambda: self.brain.recast(self.slug, c["name"], voice), self._recast, group="voice")

        self.app.push_screen(
            PromptDialog(
                f"{c['name']}'s voice: describe it (low, quick, old, bright …) or name one "
                "(en-us+f1…f5, en-us+m1…m7, with 'pitch 0-99' and 'rate 110-220'; or "
                "'elevenlabs: Name (voice id)')",
                "e.g. low and slow, or en-us+m3 pitch 40 rate 150",
                c["voice"],
            ),
            chosen,
        )

    def _recast(self, recast: dict) -> None:
        shots = recast["shots"]
        self.app.notify(
            f"voice changed; the next render speaks again the lines of {len(shots)} shot(s): {', '.join(shots) or '—'}"
        )
        self.reload()  # the other tabs hear of it from the brain (cast.recast)

    def action_sheet(self) -> None:
        c = self.selected()
        if c is None:
            return
        self.app.notify(f"painting a sheet of {c['name']} …")
        self.background(lambda: self.brain.sheet_paint(self.slug, c["name"]), self._painted, group="sheet")

    def _painted(self, take: dict) -> None:
        self.app.notify(f"{take['name']}: sheet take {take['take']} by {take['provider']} — 'a' approves it")
        self.reload()

    def action_approve_sheet(self) -> None:
        c = self.selected()
        if c is None or not (c.get("sheet") or {}).get("takes"):
            self.app.notify("no sheet to approve yet: 's' paints one", severity="warning")
            return
        take = c["sheet"]["takes"]
        self.background(lambda: self.brain.sheet_approve(self.slug, c["name"], take), self._approved, group="sheet")

    def _approved(self, result: dict) -> None:
        self.app.notify(f"{result['name']}: sheet take {result['approved']} approved; the next online render "
                        "paints their stills from it")  # fmt: skip
        self.reload()


def _sheet_cell(c: dict) -> str:
    sheet = c.get("sheet") or {}
    if not sheet.get("takes"):
        return "—"
    return f"{sheet['takes']} take(s)" + (f", #{sheet['approved']} approved" if sheet.get("approved") else "")
