"""The tabs of a project: one pane per file, each with its .tcss beside it."""
