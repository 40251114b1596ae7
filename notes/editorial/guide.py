"""The authoring guide (docs/authoring.md), rendered by the note pipeline once per process.

It is rendered when first asked for and kept, keyed by the file's modification time, so
editing the guide shows up without a restart and no request pays for KaTeX twice.
"""

from functools import lru_cache
from pathlib import Path

from django.conf import settings

from notes.rendering import RenderResult, render

GUIDE_PATH = Path(settings.BASE_DIR) / "docs" / "authoring.md"


@lru_cache(maxsize=2)
def _render_guide(mtime: float) -> RenderResult:
    return render(GUIDE_PATH.read_text(encoding="utf-8"), slug="authoring-guide")


def authoring_guide() -> RenderResult:
    return _render_guide(GUIDE_PATH.stat().st_mtime)
