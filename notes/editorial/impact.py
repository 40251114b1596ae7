"""What publishing a revision would change for the rest of the site, shown before the publish
(on the review page) and before a rollback, which is a publish of an old revision's text.

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


@dataclass
class RollbackPlan:
    """What rolling a note back to `target` will do, said to the editor before it is done."""

    target: Revision
    new_number: int  # the revision that goes live: a new one, or the latest when it already has the text
    writes_new: bool
    was_published: bool  # the target's text was live once: it "becomes live again"
    later: tuple[int, int] | None  # first and last revision after the target; every one stays in the history
    impact: Impact  # gates, changed derivations, readers' marks made stale: the publish it amounts to

    @property
    def consequence(self) -> str:
        n, again = self.target.number, " again" if self.was_published else ""
        if not self.writes_new and self.new_number == n:
            said = f"Revision {n} goes live{again} as it is; no new revision is written"
        elif not self.writes_new:
            said = f"Revision {n}'s text becomes live{again} as revision {self.new_number}, which already has it"
        else:
            said = f"Revision {n}'s text becomes live{again} as revision {self.new_number}"
        if self.later:
            first, last = self.later
            said += f"; revision {first} stays" if first == last else f"; revisions {first}–{last} stay"
            said += " in the history"
        return said + "."


def rollback_plan(*, target: Revision) -> RollbackPlan:
    """What `note_rollback` would write and publish for `target`, computed without writing.

    Mirrors the service: a new revision with the target's text on top of the latest, unless the
    latest already has that text, in which case the latest goes live.
    """
    note = target.note
    latest = note.latest_revision
    writes_new = latest.source != target.source
    later = (target.number + 1, latest.number) if latest.number > target.number else None
    return RollbackPlan(
        target=target,
        new_number=latest.number + 1 if writes_new else latest.number,
        writes_new=writes_new,
        was_published=note.publish_records.filter(to_revision=target).exists(),
        later=later,
        impact=publish_impact(revision=target),
    )
