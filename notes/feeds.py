"""Atom feeds of published changes: site-wide and per note."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from notes.models import Note, PublishRecord

FEED_LENGTH = 50


class SiteChangesFeed(Feed):
    feed_type = Atom1Feed
    title = "Deep learning, derived: published changes"
    subtitle = "Every publish and rollback of a note."

    def link(self):
        return reverse("notes:home")

    def records(self):
        return PublishRecord.objects.select_related("note", "to_revision", "from_revision", "user")

    def items(self):
        return self.records()[:FEED_LENGTH]

    def item_title(self, record):
        verb = {PublishRecord.Action.ROLLBACK: "rolled back", PublishRecord.Action.RETIRE: "retired"}.get(
            record.action, "published"
        )
        return f"{record.to_revision.title}: revision {record.to_revision.number} {verb}"

    def item_description(self, record):
        revision = record.to_revision
        parts = [revision.summary_plain]
        if revision.message:
            parts.append(f"Change: {revision.message}")
        return "\n\n".join(parts)

    def item_link(self, record):
        if record.from_revision_id:
            url = reverse("notes:diff", args=[record.note.slug])
            return f"{url}?from={record.from_revision.number}&to={record.to_revision.number}"
        return reverse("notes:revision", args=[record.note.slug, record.to_revision.number])

    def item_guid(self, record):
        return f"publish-{record.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, record):
        return record.created_at

    def item_updateddate(self, record):
        return record.created_at

    def item_author_name(self, record):
        return record.user.get_username() if record.user else "import"


class NoteChangesFeed(SiteChangesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Note.objects.live(), slug=slug)

    def title(self, note):
        return f"{note.live_revision.title}: published changes"

    def link(self, note):
        return note.get_absolute_url()

    def items(self, note):
        return self.records().filter(note=note)[:FEED_LENGTH]
