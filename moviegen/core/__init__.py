"""Domain models, settings, errors, the project folder store and the Brain protocol.

May import only the standard library, pydantic, numpy and tomlkit (see ARCHITECTURE.md).
"""
