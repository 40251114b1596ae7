"""Jupyter notebooks (`.ipynb`, nbformat 4 JSON) as Markdown: markdown cells as they are, code
cells as fenced code in the notebook's language, outputs dropped (each reported). A first raw
cell that is front matter (Quarto, Jupyter Book) is kept as the file's front matter.

Report lines of a notebook count lines of this Markdown, the cells' text joined by blank lines.
"""

import json

from .report import CONVERTED, DROPPED, Entry


class NotebookError(ValueError):
    """The file is not a notebook this can read; the message says why."""


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return ("".join(source) if isinstance(source, list) else str(source)).rstrip("\n")


def notebook_markdown(raw: str) -> tuple[str, list[Entry]]:
    """(the notebook as Markdown, what was converted or dropped)."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"notebook is not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("not a Jupyter notebook of nbformat 4 (no list of cells): save it with Jupyter 4 or later")
    metadata = data.get("metadata") or {}
    language = (metadata.get("kernelspec") or {}).get("language") or (metadata.get("language_info") or {}).get("name")
    blocks: list[str] = []
    entries: list[Entry] = []
    line = 1
    for number, cell in enumerate(data["cells"], start=1):
        kind, text = cell.get("cell_type"), _source(cell)
        if kind == "markdown" or (kind == "raw" and number == 1 and text.startswith(("---", "+++"))):
            block = text
        elif kind == "code":
            block = f"```{language or ''}\n{text}\n```" if text.strip() else ""
            if block:
                entries.append(
                    Entry(line, 1, CONVERTED, "notebook.code", f"code cell {number} -> fenced code (not run)")
                )
            outputs = cell.get("outputs") or []
            if outputs:
                where = max(line + block.count("\n"), 1)
                message = f"code cell {number}: {len(outputs)} output(s) dropped (a note shows no outputs)"
                entries.append(Entry(where, 1, DROPPED, "notebook.output", message))
        else:
            entries.append(Entry(line, 1, DROPPED, "notebook.cell", f"{kind} cell {number} dropped"))
            block = ""
        if block.strip():
            blocks.append(block)
            line += block.count("\n") + 2
    return "\n\n".join(blocks) + "\n", entries
