"""Markdown -> HTML for notes. `render()` is the entry point; see pipeline.py."""

from .pipeline import outline, render
from .result import Problem, RenderResult
from .version import RENDERER_VERSION

__all__ = ["RENDERER_VERSION", "Problem", "RenderResult", "outline", "render"]
