"""The seam between the published notes and what readers keep about them.

`notes` never imports `accounts`. What readers own (annotations, progress marks) depends on
notes, not the other way round, and reaches the notes code through two things defined
here, which `accounts` connects when the app registry is ready (`AccountsConfig.ready`):

- `revision_published`, a signal sent by the publish, inside its transaction and with the
  note's row lock held, once the live revision has moved. Receivers queue what brings
  readers' data in step with the new text (accounts queues moving the annotations, a job,
  jobs.services), so the job is stored with the publish or not at all; they must be quick.
- `revision_rerendered`, sent after a stored revision was rendered again (a pipeline or KaTeX
  upgrade, a cited note's change) and the write has committed: what readers keep that copies
  the rendering (typeset annotation quotes) is brought up to date.
- a `ReaderLayer`: what a publish would do to readers' data (counts only, for the editors'
  impact check) and the per-reader parts of the note page. Without one registered (a site
  with no accounts app), publishes affect no reader and pages have no reader layer.

The note page is cached for everyone (notes.page_assembly): the shared body is cut at named
places, and a reader's layer is the HTML each place gets for them. The places are
"progress" (under the note's header), "checks:<key>" (the end of a derivation's line in the
list of checks), "derivation:<key>" (after a derivation's heading), "panel" (after the
references) and "scripts" (the page's last scripts).
"""

from dataclasses import dataclass
from typing import Protocol

from django.dispatch import Signal

# sender: Note; keyword arguments: note, revision (now live)
revision_published = Signal()
# sender: Revision; keyword arguments: revision (its render fields just rewritten)
revision_rerendered = Signal()


@dataclass(frozen=True)
class ReaderImpact:
    """What a publish would do to readers' data: counts, never whose or what."""

    stale_marks: int = 0  # worked-through marks that the changed derivations would make stale
    orphaned_annotations: int = 0  # annotations that could not be anchored in the new text
    # A note with many annotations has its orphans estimated from a sample (trying them all
    # against the new text would hold the review page for a minute): how many were tried, of
    # how many. Equal: the count is exact.
    annotations_tried: int = 0
    annotations_total: int = 0

    @property
    def orphans_estimated(self) -> bool:
        return self.annotations_tried < self.annotations_total


class ReaderLayer(Protocol):
    def publish_impact(self, *, note, revision, changed: dict[str, str]) -> ReaderImpact:
        """`changed` maps each derivation id whose content changes to its new fingerprint."""

    def note_page_stamp_columns(self, *, reader_id) -> dict:
        """Expressions over a note's row (OuterRef("pk") is the note) with `reader_id` standing
        for a signed-in reader, for what their note page shows of theirs besides their name:
        their permissions, their marks and annotations on the note. The note's version query
        reads them (notes.selectors.note_page_version): on every view of the page, no query of
        their own, whatever the reader keeps. Called once per process; `reader_id` is a
        placeholder, replaced per view."""

    def note_page_stamp(self, request, *, columns: tuple) -> str:
        """For a signed-in reader, a string that changes whenever anything the note page shows
        of theirs could, from their user and the values of their columns (above): it names
        their cached parts."""

    def note_page_parts(self, request, *, note, revision, csrf_token: str) -> dict[str, str]:
        """This reader's HTML for each place of the note page (above), given the note with its
        live revision and derivations loaded, in a fixed number of queries. Forms carry
        `csrf_token` as their token: it stands for the token of each request."""

    def note_list(self, request, *, notes) -> dict:
        """What a list of live notes (home, a topic) adds for this reader, in a fixed number of
        queries: each note gets `standing` (total, done, working, stale derivations) and the
        context `continue_at`, where they left off among these notes; {} for anonymous readers."""

    def revision_page(self, request, *, note, revision) -> dict:
        """Template context an old revision's page adds for this reader (one of their
        annotations shown where it was last anchored); raises Http404 for anyone else's."""


class _NoReaders:
    def publish_impact(self, *, note, revision, changed):
        return ReaderImpact()

    def note_page_stamp_columns(self, *, reader_id):
        return {}

    def note_page_stamp(self, request, *, columns):
        user = request.user
        return f"{user.pk}:{user.username}:{user.is_superuser}:{sorted(user.get_all_permissions())}"

    def note_page_parts(self, request, *, note, revision, csrf_token):
        return {}

    def note_list(self, request, *, notes):
        return {}

    def revision_page(self, request, *, note, revision):
        return {}


_layer: ReaderLayer = _NoReaders()


def reader_layer_register(layer: ReaderLayer) -> None:
    global _layer
    _layer = layer


def reader_layer() -> ReaderLayer:
    return _layer
