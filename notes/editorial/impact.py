"""What publishing a revision would change for the rest of the site, shown before the publish.

Built on `notes.diffs.revision_changes` (what changed between the live and the new revision)
and the publish gates; what it would do to readers' data comes through the reader layer
(notes.hooks), as counts only.
"""

from dataclasses import dataclass, field

from notes.diffs import Changes, revision_changes
from notes.editorial.gates import broken_incoming_links, publish_gates
from notes.hooks import ReaderImpact, reader_layer
from notes.models import Revision
from notes.selectors import live_links_into


@dataclass
class Impact:
    """What publishing a revision would change for the rest of the site."""

    gates: list[str]
    changes: Changes  # derivations and equations added, removed, changed
    readers: ReaderImpact  # readers' marks made stale and annotations orphaned: counts only
    broken_references: list[dict] = field(default_factory=list)  # {"note", "title", "anchor"}
    prerequisites_added: list[str] = field(default_factory=list)
    prerequisites_removed: list[str] = field(default_factory=list)
    # Other live notes whose links print this note's title: re-rendered on publish to show the new one.
    retitled_in: list[dict] = field(default_factory=list)  # {"note", "title", "text"}


def publish_impact(*, revision: Revision) -> Impact:
    note = revision.note
    live = note.live_revision
    changes = revision_changes(live, revision)
    changed = dict(revision.derivations.filter(key__in=changes.derivations_changed).values_list("key", "fingerprint"))
    impact = Impact(
        gates=publish_gates(revision),
        changes=changes,
        readers=reader_layer().publish_impact(note=note, revision=revision, changed=changed),
    )
    impact.broken_references = [
        {"note": link.revision.note.slug, "title": link.revision.title, "anchor": link.anchor}
        for link in broken_incoming_links(revision)
    ]
    new_pre = set(revision.front_matter.get("prerequisites", []))
    old_pre = set(live.front_matter.get("prerequisites", [])) if live else set()
    impact.prerequisites_added = sorted(new_pre - old_pre)
    impact.prerequisites_removed = sorted(old_pre - new_pre)
    if live and live.title != revision.title:
        impact.retitled_in = [
            {"note": link.revision.note.slug, "title": link.revision.title, "text": link.text}
            for link in live_links_into(note)
            if link.text.startswith(live.title)
        ]
    return impact
