"""Markdown -> HTML for notes. `render()` is the entry point; see pipeline.py."""

from .pipeline import RENDERER_VERSION, outline, render
from .result import Problem, RenderResult

__all__ = ["RENDERER_VERSION", "Problem", "RenderResult", "outline", "render"]
