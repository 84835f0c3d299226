"""Storyboard: every shot as a thumbnail, grouped by scene; the selected shot's details and takes. Paint the
storyboard before rendering, paint another take of one shot, approve or reject a take."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Static

from moviegen.tui.panes.base import Pane
from moviegen.tui.widgets.thumbnail import Thumbnail, graphics


class ShotTile(Vertical, can_focus=True):
    """One shot in the grid: its approved take's still and a caption."""

    class Chosen(Message):
        def __init__(self, shot: dict) -> None:
            super().__init__()
            self.shot = shot

    def __init__(self, shot: dict) -> None:
        super().__init__(classes="tile", id=f"shot-{shot['id'].replace('.', '-')}")
        self.shot = shot

    def compose(self) -> ComposeResult:
        yield Thumbnail(self.shot.get("frame"), empty="·")
        take = f" t{self.shot['take']}" if self.shot["take"] > 1 else ""
        yield Label(f"{self.shot['id']}{take} {self.shot['framing']}", classes="caption")

    def on_focus(self) -> None:
        self.post_message(self.Chosen(self.shot))

    def on_click(self) -> None:
        self.focus()


class StoryboardPane(Pane):
    WATCHES = frozenset({"screenplay", "story", "shots", "takes", "comments"})
    BINDINGS = [
        Binding("b", "paint_board", "Paint board"),
        Binding("g", "regenerate", "New take"),
        Binding("a", "approve", "Approve"),
        Binding("x", "reject", "Reject"),
        Binding("left_square_bracket", "take(-1)", "◀ take", key_display="["),
        Binding("right_square_bracket", "take(1)", "take ▶", key_display="]"),
        Binding("right,down", "app.focus_next", "Next", show=False),
        Binding("left,up", "app.focus_previous", "Previous", show=False),
    ]

    def __init__(self, slug: str, status: dict | None = None, **kwargs) -> None:
        super().__init__(slug, status, **kwargs)
        self.shots: list[dict] = []
        self.current: dict | None = None
        self.viewing = 0  # index into the current shot's takes
        self.wanted: tuple[str, int] | None = None  # (shot, take) to show once the board is read again
        self.shown: dict | None = None  # the board as last shown

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield VerticalScroll(id="board")
            with VerticalScroll(id="detail"):
                yield Thumbnail(id="take-picture", empty="no still yet — b paints the storyboard")
                if graphics() is not None:  # the terminal shows real images: the take at full resolution
                    yield graphics()(None, id="take-real")
                yield Static("", id="take-text")
                yield Static("", id="take-comments")

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.background(lambda: self.brain.storyboard(self.slug), self._show, group="board-read")

    async def _show(self, board_view: dict) -> None:
        if board_view == self.shown and self.wanted is None:
            return  # nothing changed that the board shows: it stays as it is (the tiles, the focus)
        self.shown = board_view
        shots, problem = board_view["shots"], board_view["problem"]
        self.shots = shots
        board = self.query_one("#board", VerticalScroll)
        await board.remove_children()
        if problem:
            await board.mount(Static(f"[b]{problem}[/b]", classes="problem"))
        if not shots:
            if not problem:
                await board.mount(Static("no shot list yet — ctrl+l plans the shots", classes="empty"))
            return
        scenes: dict[str, list[dict]] = {}
        for s in shots:
            scenes.setdefault(s["scene"], []).append(s)
        widgets = []
        for scene, group in scenes.items():
            widgets.append(Label(f"scene {scene}", classes="scene"))
            widgets.append(Grid(*[ShotTile(s) for s in group], classes="tiles"))
        await board.mount_all(widgets)
        keep, take = self.wanted or ((self.current["id"], self.viewed()) if self.current else (shots[0]["id"], None))
        self.wanted = None
        shot = next((s for s in shots if s["id"] == keep), shots[0])
        self.choose(shot, take if shot["id"] == keep else None)  # the take in view is kept across a reload

    def on_shot_tile_chosen(self, event: ShotTile.Chosen) -> None:
        same = self.current is not None and self.current["id"] == event.shot["id"]
        self.choose(event.shot, self.viewed() if same else None)  # a rebuilt board keeps the take in view

    def viewed(self) -> int | None:
        """The take in view, if a shot is chosen."""
        return self.takes()[self.viewing]["take"] if self.current else None

    def takes(self) -> list[dict]:
        """The current shot's takes: the first painting, then every take painted since."""
        shot = self.current or {}
        first = {"take": 1, "status": "approved" if shot.get("take", 1) == 1 else "candidate"}
        if shot.get("take", 1) == 1:
            first["frame"] = shot.get("frame")
        return [first, *[t for t in shot.get("takes", []) if t["take"] != 1]]

    def choose(self, shot: dict, take: int | None = None) -> None:
        self.current = shot
        takes = self.takes()
        approved = next((i for i, t in enumerate(takes) if t["take"] == shot.get("take", 1)), 0)
        self.viewing = next((i for i, t in enumerate(takes) if t["take"] == take), approved)
        self._detail()
        self._comments()

    def _detail(self) -> None:
        shot, takes = self.current, self.takes()
        if shot is None:
            return
        t = takes[self.viewing]
        frame = t.get("frame") or (shot.get("frame") if t["take"] == shot["take"] else None)
        self.query_one("#take-picture", Thumbnail).show(frame)
        for real in self.query("#take-real"):
            self.query_one("#take-picture").display = False
            real.image = frame
        marks = " ".join(
            f"[reverse]{x['take']}[/reverse]" if i == self.viewing else str(x["take"]) for i, x in enumerate(takes)
        )
        self.query_one("#take-text", Static).update(
            f"[b]shot {shot['id']}[/b] · scene {shot['scene']} · {shot['framing']}, {shot['camera']}, "
            f"{shot['duration']:.1f} s\n{', '.join(shot['characters']) or 'no one'} — {shot['subject']}\n"
            f"[dim]{shot['prompt']}[/dim]\n"
            f"takes: {marks}   viewing take {t['take']} ({'in the film' if t['take'] == shot['take'] else t['status']})\n"
            "[dim]g new take · a approve · x reject · [ ] other takes[/dim]"
        )

    def changed(self, what: str, digest: str | None) -> None:
        if what == "comments":  # a comment from the web view or anyone: only the shot's comments are read again
            self._comments()
        else:
            self.reload()

    def _comments(self) -> None:
        """The chosen shot's comments (web view, CLI or any MCP client), under its details."""
        if self.current is None:
            return
        shot_id = self.current["id"]

        def show(comments: list[dict]) -> None:
            if self.current is None or self.current["id"] != shot_id:
                return  # another shot was chosen meanwhile
            lines = [f"[b]{c['who']}[/b] [dim]({c.get('role') or ''})[/dim] {escape(c['text'])}" for c in comments[-5:]]
            self.query_one("#take-comments", Static).update(
                ("[b]comments[/b]\n" + "\n".join(lines)) if lines else "[dim]no comments on this shot[/dim]"
            )

        self.background(lambda: self.brain.comment_list(self.slug, f"shot:{shot_id}", 50), show, group="comments")

    def action_take(self, step: int) -> None:
        if self.current:
            self.viewing = (self.viewing + step) % len(self.takes())
            self._detail()

    def action_paint_board(self) -> None:
        self.app.notify("painting the storyboard…")
        self.background(lambda: self.brain.storyboard_paint(self.slug), self._painted, group="paint")

    def _painted(self, painted: dict) -> None:
        self.app.notify(f"storyboard painted ({painted['painted']} new still(s))")
        self.reload()

    def action_regenerate(self) -> None:
        if not self.current:
            return
        shot_id = self.current["id"]
        self.app.notify(f"painting a new take of shot {shot_id}…")
        self.background(lambda: self.brain.take_new(self.slug, shot_id), self._new_take, group="paint")

    def _new_take(self, take: dict) -> None:
        self.app.notify(f"shot {take['shot']}: take {take['take']} painted — a approves it, x rejects it")
        self._refresh_current(take["shot"], take["take"])

    def _refresh_current(self, shot_id: str, take: int) -> None:
        """Read the board again and show this take of this shot (whichever read comes first shows it)."""
        self.wanted = (shot_id, take)
        self.reload()

    def action_approve(self) -> None:
        if not self.current:
            return
        shot_id, take = self.current["id"], self.takes()[self.viewing]["take"]

        def done(_: dict) -> None:
            self.app.notify(f"shot {shot_id}: take {take} is in the film")
            self.reload()

        self.background(lambda: self.brain.take_approve(self.slug, shot_id, take), done, group="takes")

    def action_reject(self) -> None:
        if not self.current:
            return
        shot_id, take = self.current["id"], self.takes()[self.viewing]["take"]

        def done(_: dict) -> None:
            self.app.notify(f"shot {shot_id}: take {take} set aside")
            self._refresh_current(shot_id, self.current["take"])

        self.background(lambda: self.brain.take_reject(self.slug, shot_id, take), done, group="takes")
