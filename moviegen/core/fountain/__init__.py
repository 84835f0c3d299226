"""Fountain screenplay format (https://fountain.io/syntax): read, write, round-trip."""

from moviegen.core.fountain.model import Element, ElementType, Screenplay
from moviegen.core.fountain.parser import parse
from moviegen.core.fountain.writer import write

__all__ = ["Element", "ElementType", "Screenplay", "parse", "write"]
