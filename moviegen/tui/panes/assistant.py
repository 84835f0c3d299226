"""Assistant: questions about the project answered from its own documents. With a language model configured,
its answer streams in as it is written (the brain's ``assistant.delta`` events, which the app hands to this
pane), citing the numbered sources listed under it; without one, the answer is the passages themselves, and it
says so."""

from __future__ import annotations

import re
import uuid
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, RichLog, Static

from moviegen.tui.panes.base import Pane

CITATION = re.compile(r"\[\d+(?:\s?[,;–-]\s?\d+)*\]")


class AssistantPane(Pane):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asking: dict[str, dict[str, Any]] = {}  # ask_id -> {question, text, gap}: the answers on their way
        self.live_id: str | None = None  # the one shown as it streams (the latest question)

    def compose(self) -> ComposeResult:
        yield RichLog(id="answers", wrap=True, markup=True)
        yield Static(id="live")
        yield Input(placeholder="Ask about the project — e.g. where does the lantern first appear?", id="question")

    def on_mount(self) -> None:
        self.query_one(RichLog).write(
            "[dim]Ask about this project: characters, places, props, scenes, shots, past renders. "
            "Answers come from the project's own files, with their sources.[/dim]"
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        if not question:
            return
        event.input.value = ""
        ask_id = uuid.uuid4().hex[:12]  # ours, so the answer's events can be told from others' before it returns
        self.asking[ask_id] = {"question": question, "text": "", "gap": False}
        self.live_id = ask_id
        self._show_live()
        self.background(lambda: self.brain.assistant_ask(self.slug, question, ask_id=ask_id),
                        lambda a: self._answer(question, a), group="ask", exclusive=False)  # fmt: skip

    # ------------------------------------------------------------------ the answer as it is written
    def heard(self, event: dict[str, Any]) -> None:
        """An ``assistant.*`` event of this project (the app passes them on): a piece of one of our answers."""
        asking = self.asking.get(event.get("ask_id", ""))
        if asking is None or event.get("kind") != "assistant.delta" or asking["gap"]:
            return
        if event.get("offset") != len(asking["text"]):  # a piece missed: the finished answer will say it all
            asking["gap"] = True
            return
        asking["text"] += event.get("text", "")
        if event["ask_id"] == self.live_id:
            self._show_live()

    def _show_live(self) -> None:
        live = self.query_one("#live", Static)
        asking = self.asking.get(self.live_id or "")
        if asking is None:
            live.update("")
            live.remove_class("-streaming")
            return
        text = cited(asking["text"]) if asking["text"] else Text("…", "dim")
        live.update(Text.assemble((f"› {asking['question']}\n", "bold"), text))
        live.add_class("-streaming")

    # ------------------------------------------------------------------ the finished answer
    def _answer(self, question: str, answer: dict) -> None:
        self.asking.pop(answer.get("ask_id", ""), None)
        if answer.get("ask_id") == self.live_id:
            self.live_id = next(reversed(self.asking), None)  # a question asked before it, still on its way
            self._show_live()
        log = self.query_one(RichLog)
        log.write(f"\n[b]› {escape(question)}[/b]")
        if answer["mode"] == "llm":
            log.write(cited(answer["answer"]))
            if answer.get("provider"):
                by = answer["provider"] + (f":{answer['model']}" if answer.get("model") else "")
                log.write(f"[dim]answered by {escape(by)}[/dim]")
        else:
            if answer.get("warning"):
                log.write(f"[yellow]the language model did not answer: {escape(answer['warning'])}[/yellow]")
            log.write(f"[dim]{escape(answer['mode'])}[/dim]")
        if not answer["sources"]:
            log.write("Nothing in this project answers that.")
        used = set(answer.get("citations") or [])
        for i, src in enumerate(answer["sources"], 1):
            n = src.get("n", i)
            found = f"{src['id']} · found by {'+'.join(src['found_by'])}"
            if answer["mode"] == "llm":  # the answer says it: the sources are its references, the cited ones bright
                style = "b" if n in used else "dim"
                log.write(f"[{style}]\\[{n}] {escape(src['title'])}[/{style}] [dim]{escape(found)}[/dim]")
            else:
                log.write(f"[b]\\[{n}] {escape(src['title'])}[/b] [dim]{escape(found)}[/dim]")
                log.write(f"    {escape(src['text'])}")


def cited(text: str) -> Text:
    """An answer with its citations picked out."""
    out = Text(text)
    out.highlight_regex(CITATION, "bold cyan")
    return out
