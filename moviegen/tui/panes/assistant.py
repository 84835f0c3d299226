"""Assistant: questions about the project answered from its own documents (search), sources cited. With no
language model configured the answer is the passages themselves, and it says so."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, RichLog

from moviegen.tui.panes.base import Pane


class AssistantPane(Pane):
    def compose(self) -> ComposeResult:
        yield RichLog(id="answers", wrap=True, markup=True)
        yield Input(placeholder="Ask about the project — e.g. where does the lantern first appear?", id="question")

    def on_mount(self) -> None:
        self.query_one(RichLog).write(
            "[dim]Ask about this project: characters, places, props, scenes, shots, past renders. "
            "Answers come from the project's own files, with their sources.[/dim]"
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        if question:
            event.input.value = ""
            self.background(lambda: self.brain.assistant_ask(self.slug, question), lambda a: self._answer(question, a),
                            group="ask", exclusive=False)  # fmt: skip

    def _answer(self, question: str, answer: dict) -> None:
        log = self.query_one(RichLog)
        log.write(f"\n[b]› {question}[/b]")
        log.write(f"[dim]{answer['mode']}[/dim]")
        if not answer["sources"]:
            log.write("Nothing in this project answers that.")
        for i, src in enumerate(answer["sources"], 1):
            log.write(f"[b][{i}] {src['title']}[/b] [dim]{src['id']} · found by {'+'.join(src['found_by'])}[/dim]")
            log.write(f"    {src['text']}")
