"""What every chat-completions text provider does with its client (moviegen.brain.providers.chat_api): answer,
stream, close. Kept apart from the client so registering a provider imports no HTTP library."""

from __future__ import annotations

from moviegen.core.brain import TextRequest, TextResult


class ChatProvider:
    api: object  # a ChatAPI, made by the subclass from its settings

    def generate(self, request: TextRequest) -> TextResult:
        return self.api.complete(request)

    def stream(self, request: TextRequest, on_text) -> TextResult:
        return self.api.stream(request, on_text)

    def close(self) -> None:
        self.api.close()
