"""Cast: every character with look and voice; play a voice sample; recast a voice and see the shots whose
lines will be spoken again."""

from __future__ import annotations

import shutil
import subprocess

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from moviegen.tui.messages import ProjectChanged
from moviegen.tui.panes.base import Pane
from moviegen.tui.widgets.dialogs import PromptDialog
from moviegen.tui.widgets.tables import selected_key

PLAYERS = (["paplay"], ["aplay", "-q"], ["afplay"], ["ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet"])


class CastPane(Pane):
    BINDINGS = [
        Binding("p", "play", "Play voice"),
        Binding("v", "voice", "Change voice"),
    ]

    def compose(self) -> ComposeResult:
        yield DataTable(id="cast-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="cast-detail")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("character", "voice", "pitch", "rate", "speaks in", "look")
        self.people: dict[str, dict] = {}
        self.reload()

    def reload(self) -> None:
        self.background(lambda: self.studio.cast(self.slug), self._show, group="cast-read")

    def _show(self, cast: list[dict]) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        self.people = {c["name"]: c for c in cast}
        for c in cast:
            shots = c["shots"]
            table.add_row(
                c["name"], c["espeak"], str(c["pitch"]), str(c["rate"]), f"{len(shots)} shot(s)" if shots else "—",
                c["look"] or "—", key=c["name"],
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
            f"pitch {c['pitch']}, rate {c['rate']}\nspeaks in shots: {', '.join(c['shots']) or '—'}\n"
            "[dim]p plays a sample · v changes the voice[/dim]"
        )

    def action_play(self) -> None:
        c = self.selected()
        if c is None:
            return
        self.background(lambda: self.studio.voice_sample(self.slug, c["name"]), self._play, group="voice")

    def _play(self, path) -> None:
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
                self.background(lambda: self.studio.set_voice(self.slug, c["name"], voice), self._recast, group="voice")

        self.app.push_screen(
            PromptDialog(
                f"{c['name']}'s voice: describe it (low, quick, old, bright …) or name one "
                "(en-us+f1…f5, en-us+m1…m7, with 'pitch 0-99' and 'rate 110-220')",
                "e.g. low and slow, or en-us+m3 pitch 40 rate 150",
                c["voice"],
            ),
            chosen,
        )

    def _recast(self, shots: list[str]) -> None:
        self.app.notify(
            f"voice changed; the next render speaks again the lines of {len(shots)} shot(s): {', '.join(shots) or '—'}"
        )
        self.post_message(ProjectChanged(self.slug, "cast", self))
        self.reload()
