"""Small modal dialogs: a question with an answer, a yes/no, an error."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


class PromptDialog(ModalScreen[str | None]):
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, title: str, placeholder: str = "", value: str = "") -> None:
        super().__init__(classes="dialog")
        self.title_text, self.placeholder, self.value = title, placeholder, value

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Label(self.title_text, id="question")
            yield Input(value=self.value, placeholder=self.placeholder, id="answer")
            with Horizontal(id="buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.query_one(Input).value.strip() or None if event.button.id == "ok" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [("escape", "no", "No"), ("y", "yes", "Yes"), ("n", "no", "No")]

    def __init__(self, question: str) -> None:
        super().__init__(classes="dialog")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Label(self.question, id="question")
            with Horizontal(id="buttons"):
                yield Button("Yes", variant="error", id="yes")
                yield Button("No", variant="primary", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class _Closable(ModalScreen[None]):
    """A dialog to read and close: its one button, escape, and the keys in BINDINGS close it."""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class ErrorDialog(_Closable):
    """An error that needs reading: what went wrong, and what to do."""

    BINDINGS = [("escape", "close", "Close"), ("enter", "close", "Close")]

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(classes="dialog")
        self.message, self.hint = message, hint

    def compose(self) -> ComposeResult:
        with Vertical(id="box", classes="error"):
            yield Label(self.message, id="question")
            if self.hint:
                yield Label(f"→ {self.hint}", id="hint")
            with Horizontal(id="buttons"):
                yield Button("Close", variant="primary", id="close")


class TextDialog(_Closable):
    """A read-only text to look at: a job's log, a file's content."""

    BINDINGS = [("escape", "close", "Close"), ("q", "close", "Close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.body = title, text

    def compose(self) -> ComposeResult:
        from textual.widgets import TextArea

        with Vertical(id="box", classes="wide"):
            yield Label(self.title_text, id="question")
            yield TextArea(self.body, read_only=True, id="body")
            with Horizontal(id="buttons"):
                yield Button("Close", variant="primary", id="close")
