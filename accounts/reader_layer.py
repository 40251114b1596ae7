"""What readers keep about a note, as the notes code sees it through `notes.hooks`.

Registered in `AccountsConfig.ready`: `notes` calls these without importing `accounts`.
- `publish_impact`: how many readers' marks a publish would make stale and how many
  annotations it would orphan, for the editors' review page (counts, never whose or what);
- `note_page`: one reader's layer of a note page (progress marks and controls, annotations
  and their panel), in a fixed number of queries whatever the reader keeps;
- `note_list`: their progress on each note of the home or a topic page and where to continue;
- `revision_page`: an orphaned annotation shown on the old revision it was anchored in.
"""

from functools import partial

from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.annotations.quote_display import annotation_quotes_render, quote_shown
from accounts.annotations.reanchoring import annotations_reanchor, orphan_count
from accounts.annotations.selectors import annotation_for_owner, annotations_on_note
from accounts.annotations.views import annotation_anchor_json, annotations_root
from accounts.models import DerivationProgress
from accounts.study.plans import note_standings
from accounts.study.selectors import STATES as PROGRESS_STATES
from accounts.study.selectors import continue_point, marks_for_note
from notes.hooks import ReaderImpact


class AccountsReaderLayer:
    def publish_impact(self, *, note, revision, changed: dict[str, str]) -> ReaderImpact:
        marks = DerivationProgress.objects.filter(note=note)
        stale = marks.none()
        for key, fingerprint in changed.items():  # one query: the querysets are OR-ed
            stale |= marks.filter(derivation_key=key).stale_against(fingerprint)
        return ReaderImpact(
            stale_marks=stale.count() if changed else 0, orphaned_annotations=orphan_count(note=note, revision=revision)
        )

    def note_page(self, request, *, note, revision) -> dict:
        if not request.user.is_authenticated:
            return {}
        derivations = revision.derivations.all()
        marks = marks_for_note(request.user, note, derivations)
        for d in derivations:  # the prefetched rows the template lists
            d.mark = marks[d.key]
        annotations = annotations_on_note(request.user, note)
        # 200 annotations are 200 panel entries and 200 items for the script: paths are joined
        # from one root rather than reversed per annotation, and bodies travel once (panel).
        root = annotations_root()
        return {
            "annotations": annotations,
            "annotations_root": root,
            "annotation_data": {
                "note": note.slug,
                "revision": revision.number,
                "create_url": reverse("accounts:annotation_new"),
                "root": root,
                "items": [annotation_anchor_json(a) for a in annotations],
            },
            "progress": {
                "done": sum(m.done for m in marks.values()),
                "stale": sum(m.stale for m in marks.values()),
                "total": len(marks),
            },
            "body_html": _with_progress_controls(request, note, revision.html, marks),
        }

    def note_list(self, request, *, notes) -> dict:
        if not request.user.is_authenticated:
            return {}
        # Two queries whatever the list: every live note's standing in one aggregate, then
        # the one mark to continue from, among these notes.
        standings = note_standings(request.user)
        for note in notes:
            note.standing = standings.get(note.slug)
        return {"continue_at": continue_point(request.user, note_ids=[n.pk for n in notes])}

    def revision_page(self, request, *, note, revision) -> dict:
        if "annotation" not in request.GET:
            return {}
        # An orphan shown where it was last anchored: only its owner, only on that revision.
        annotation = annotation_for_owner(request.user, request.GET["annotation"])
        if annotation.note_id != note.pk or annotation.revision_id != revision.pk:
            raise Http404("That annotation is not anchored in this revision")
        return {
            "annotation": annotation,
            "annotation_quote": quote_shown(annotation),  # typeset, never its source
            "annotation_item": annotation_anchor_json(annotation),
        }


def _with_progress_controls(request, note, html: str, marks: dict) -> str:
    """The stored note HTML with the reader's progress control after each derivation's heading.

    The controls are per reader, so they cannot be stored with the revision; the stored
    markup is ours (`<section ... data-derivation="key">` then the heading), so splicing
    after each heading is exact, and costs a string search per derivation.
    """
    states = list(PROGRESS_STATES.items())
    for key, mark in marks.items():
        start = html.find(f'data-derivation="{key}">')
        end = html.find("</header>", start) if start >= 0 else -1
        if end < 0:
            continue
        end += len("</header>")
        control = render_to_string(
            "accounts/_progress_control.html", {"note": note, "mark": mark, "states": states}, request
        )
        html = html[:end] + control + html[end:]
    return html


def reanchor_on_publish(sender, *, note, revision, **kwargs) -> None:
    """`revision_published` receiver: every reader's annotations follow the text, and the
    quotes that moved are typeset once the publish has committed (never under its lock)."""
    annotations_reanchor(note=note, revision=revision)
    transaction.on_commit(partial(annotation_quotes_render, revision_ids=[revision.pk]))


def quotes_on_rerender(sender, *, revision, **kwargs) -> None:
    """`revision_rerendered` receiver: quotes of the revision typeset again, as an equation's
    number or its KaTeX output may have changed."""
    annotation_quotes_render(revision_ids=[revision.pk], every=True)
