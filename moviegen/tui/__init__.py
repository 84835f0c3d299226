"""The studio in the terminal (Textual). `create_app()` is shared by `moviegen tui` and the tests."""
