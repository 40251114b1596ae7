"""What readers keep about a note, as the notes code sees it through `notes.hooks`.

Registered in `AccountsConfig.ready`: `notes` calls these without importing `accounts`.
- `publish_impact`: how many readers' marks a publish would make stale and how many
  annotations it would orphan (estimated from a sample on a note with many), for the
  editors' review page (counts, never whose or what);
- `note_page_stamp_columns` and `note_page_stamp`: the version of everything the note page
  shows of a reader, read in the note's own version query;
- `note_page_parts`: one reader's parts of a note page (progress marks and controls,
  annotations and their panel), in a fixed number of queries whatever the reader keeps;
- `note_list`: their progress on each note of the home or a topic page and where to continue;
- `revision_page`: an orphaned annotation shown on the old revision it was anchored in.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Exists, F, Func, IntegerField, OuterRef, Subquery
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from accounts.annotations.quote_display import annotation_quotes_render, quote_shown
from accounts.annotations.reanchoring import orphan_estimate
from accounts.annotations.selectors import annotation_for_owner, annotations_on_note
from accounts.annotations.views import annotation_anchor_json, annotations_root
from accounts.models import Annotation, DerivationProgress
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
        orphans, tried, total = orphan_estimate(note=note, revision=revision, sample=settings.ANNOTATION_IMPACT_SAMPLE)
        return ReaderImpact(
            stale_marks=stale.count() if changed else 0,
            orphaned_annotations=orphans,
            annotations_tried=tried,
            annotations_total=total,
        )

    def note_page_stamp_columns(self, *, reader_id) -> dict:
        return _stamp_columns(reader_id)

    def note_page_stamp(self, request, *, columns: tuple) -> str:
        user = request.user
        return repr((user.pk, user.username, user.is_superuser, columns))

    def note_page_parts(self, request, *, note, revision, csrf_token: str) -> dict[str, str]:
        derivations = revision.derivations.all()
        marks = marks_for_note(request.user, note, derivations)
        annotations = annotations_on_note(request.user, note)
        # 200 annotations are 200 panel entries and 200 items for the script: paths are joined
        # from one root rather than reversed per annotation, and bodies travel once (panel).
        root = annotations_root()
        panel = {
            "note": note,
            "annotations": annotations,
            "annotations_root": root,
            "annotation_data": {
                "note": note.slug,
                "revision": revision.number,
                "create_url": reverse("accounts:annotation_new"),
                "root": root,
                "items": [annotation_anchor_json(a) for a in annotations],
            },
        }
        progress = {
            "done": sum(m.done for m in marks.values()),
            "stale": sum(m.stale for m in marks.values()),
            "total": len(marks),
        }
        states = list(PROGRESS_STATES.items())
        parts = {
            "progress": render_to_string("accounts/_progress_summary.html", {"note": note, "progress": progress}),
            "panel": render_to_string("accounts/_annotation_panel.html", panel),
            "scripts": render_to_string("accounts/_note_scripts.html"),
        }
        for key, mark in marks.items():
            stale = " mark-stale" if mark.stale else ""
            parts[f"checks:{key}"] = format_html(
                '· <span class="mark-state mark-{}{}">{}{}</span>',
                mark.state,
                stale,
                mark.label,
                ", changed since" if mark.stale else "",
            )
            control = {"note": note, "mark": mark, "states": states, "csrf_token": csrf_token}
            parts[f"derivation:{key}"] = render_to_string("accounts/_progress_control.html", control)
        return parts

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


def _stamp_columns(reader_id) -> dict:
    """What the note page shows of a reader besides their name, as columns over the note's row
    (the version query's, notes.selectors.note_page_version): how many annotations and marks
    they keep on the note and when any last changed (every write sets `changed_at` or
    `updated_at`, so a change, a deletion or an addition moves one of them), and whether they
    may see the editors' area and edit notes (directly or through a group)."""
    mine = {"owner_id": reader_id, "note_id": OuterRef("pk")}
    count = Func(template="COUNT(*)", output_field=IntegerField())

    def kept(model, changed: str) -> tuple[Subquery, Subquery]:
        # COUNT and MAX with no GROUP BY (one row each), read from the index on the three columns
        rows = model.objects.filter(**mine).order_by()
        return Subquery(rows.annotate(n=count).values("n")), Subquery(
            rows.annotate(at=Func(F(changed), function="MAX")).values("at")
        )

    def holds(codename: str) -> tuple[Exists, Exists]:
        # directly or through a group, starting from the user's own rows (none, for most
        # readers) and joining the permission: a quarter of the statement's time less than
        # matching against a list of the permission's ids, which SQLite builds on each run
        permission = {"permission__codename": codename, "permission__content_type__app_label": "notes"}
        users, groups = get_user_model().user_permissions.through, Group.permissions.through
        return (
            Exists(users.objects.filter(user_id=reader_id, **permission)),
            Exists(groups.objects.filter(group__user=reader_id, **permission)),
        )

    return {
        **dict(zip(("annotation_count", "annotation_changed"), kept(Annotation, "changed_at"), strict=True)),
        **dict(zip(("mark_count", "mark_changed"), kept(DerivationProgress, "updated_at"), strict=True)),
        **dict(zip(("views_editors", "views_editors_by_group"), holds("view_note"), strict=True)),
        **dict(zip(("edits_notes", "edits_notes_by_group"), holds("change_note"), strict=True)),
    }


def quotes_on_rerender(sender, *, revision, **kwargs) -> None:
    """`revision_rerendered` receiver: quotes of the revision typeset again, as an equation's
    number or its KaTeX output may have changed."""
    annotation_quotes_render(revision_ids=[revision.pk], every=True)
