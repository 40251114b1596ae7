"""Notes written for other sites, converted into the platform's own Markdown.

A pure module: text in, text and a report out, no database. `convert` handles one file in one
dialect (or `auto`, chosen per file); `convert_batch` adds what spans files (slug collisions).
"""

from .convert import Conversion, convert, convert_batch
from .dialects import DIALECTS, detect
from .report import Entry

__all__ = ["DIALECTS", "Conversion", "Entry", "convert", "convert_batch", "detect"]
