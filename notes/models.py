"""The published knowledge: topics, notes, immutable revisions and what each revision contains.

A `Note` is only an identity (a permanent slug) with two pointers: `latest_revision`, the
newest text, and `live_revision`, what readers see. Everything else hangs off a `Revision`,
which is never changed once written; rollback writes a new revision.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from notes.checking.quoted import NUMBERS_PREFIX


class ImmutableRevisionError(Exception):
    """Raised on any attempt to change or delete a stored revision's content."""


class TopicQuerySet(models.QuerySet):
    def areas(self):
        return self.filter(parent__isnull=True)


class Topic(models.Model):
    """An area of study (no parent) or a finer topic inside one."""

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title


class NoteQuerySet(models.QuerySet):
    def live(self):
        return self.filter(live_revision__isnull=False)

    def with_live(self):
        return self.live().select_related("live_revision")


class Note(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Denormalized from the live revision's front matter so topic pages are one query.
    topics = models.ManyToManyField(Topic, blank=True, related_name="notes")
    latest_revision = models.ForeignKey("Revision", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    live_revision = models.ForeignKey("Revision", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        permissions = [
            ("submit_note", "Can submit a note revision for review"),
            ("publish_note", "Can publish and roll back notes"),
            ("run_checks", "Can run the numerical checks of derivations"),
        ]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("notes:note", args=[self.slug])

    @property
    def is_live(self) -> bool:
        return self.live_revision_id is not None


# Fields produced by the renderer from a revision's source. They are a cache of
# (source, renderer version): `revision_rerender` may rewrite them, nothing else may.
RENDER_FIELDS = frozenset(
    {
        "html",
        "toc",
        "plain_text",
        "summary_html",
        "summary_text",
        "search_text",
        "search_formulas",
        "search_units",
        "anchors",
        "errors",
        "warnings",
        "word_count",
        "renderer_version",
        "katex_version",
        "rendered_at",
    }
)


class RevisionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        content = set(kwargs) - RENDER_FIELDS
        if content:
            raise ImmutableRevisionError(f"revisions are immutable; cannot update {sorted(content)}")
        return super().update(**kwargs)

    def delete(self):
        raise ImmutableRevisionError("revisions are never deleted")


class Revision(models.Model):
    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    source = models.TextField()
    front_matter = models.JSONField(default=dict)
    content_hash = models.CharField(max_length=64)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    html = models.TextField(blank=True)
    toc = models.JSONField(default=list)
    plain_text = models.TextField(blank=True)
    summary_html = models.TextField(blank=True)  # the summary typeset (notes.rendering.summary)
    summary_text = models.TextField(blank=True)  # the summary as plain text, formulas readable
    search_text = models.TextField(blank=True)  # snippet material (notes.rendering.fragments)
    search_formulas = models.JSONField(default=list)  # typeset HTML of search_text's placeholders
    search_units = models.JSONField(default=list)  # sections, derivations, equations: anchors and lines
    anchors = models.JSONField(default=dict)  # anchor id -> the text a link to it shows
    errors = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    word_count = models.PositiveIntegerField(default=0)
    renderer_version = models.PositiveIntegerField(default=0)
    katex_version = models.CharField(max_length=20, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["note", "number"]
        constraints = [models.UniqueConstraint(fields=["note", "number"], name="revision_number_unique")]

    def __str__(self) -> str:
        return f"{self.note_id}@{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRevisionError("revisions are immutable; write a new revision instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRevisionError("revisions are never deleted")

    @property
    def summary_typeset(self) -> str:
        """The summary as safe HTML: typeset, or for a revision rendered before summaries were
        (renderer version < 5, until `manage.py rerender`), its source escaped."""
        return mark_safe(self.summary_html) if self.summary_html else escape(self.summary)

    @property
    def summary_plain(self) -> str:
        """The summary as plain text (meta descriptions, feeds, tooltips), formulas readable."""
        return self.summary_text or self.summary

    @property
    def toc_sections(self) -> int:
        """How many sections the contents lists: its top-level entries (sub-headings are
        listed under their section, not counted)."""
        top = min((entry["level"] for entry in self.toc), default=0)
        return sum(1 for entry in self.toc if entry["level"] == top)


class DerivationQuerySet(models.QuerySet):
    def with_checks(self):
        """Each derivation with the check result that applies to it (same id and fingerprint)
        as `check_status`, `check_detail`, `check_seconds` and `checked_at` (None when unchecked),
        in the same query."""
        result = CheckResult.objects.of_outer_derivation()
        return self.annotate(
            **{
                name: models.Subquery(result.values(field)[:1])
                for name, field in (
                    ("check_status", "status"),
                    ("check_detail", "detail"),
                    ("check_seconds", "seconds"),
                    ("checked_at", "checked_at"),
                )
            }
        )

    def unchecked(self):
        """Derivations with no result for their content (new ones, and changed ones)."""
        return self.exclude(models.Exists(CheckResult.objects.of_outer_derivation()))


class Derivation(models.Model):
    """A derivation block as it stands in one revision. `key` is the author's stable id."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="derivations")
    key = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    position = models.PositiveIntegerField()
    statement_html = models.TextField(blank=True)
    steps = models.JSONField(default=list)
    result_html = models.TextField(blank=True)
    source = models.TextField()
    fingerprint = models.CharField(max_length=64)

    objects = DerivationQuerySet.as_manager()

    class Meta:
        ordering = ["revision", "position"]
        constraints = [models.UniqueConstraint(fields=["revision", "key"], name="derivation_key_unique")]

    def __str__(self) -> str:
        return self.key


class CheckResultQuerySet(models.QuerySet):
    def failed(self):
        return self.filter(status=CheckResult.Status.FAILED)

    def of_outer_derivation(self):
        """In a subquery over derivations: the results for that derivation's content (same
        revision, id and fingerprint), which is what makes a result apply."""
        return self.filter(
            revision_id=models.OuterRef("revision_id"),
            derivation_key=models.OuterRef("key"),
            fingerprint=models.OuterRef("fingerprint"),
        )

    def applying_to(self, revision: "Revision"):
        """The results that apply to the revision as it stands now: a derivation's result
        counts only while the derivation with its id still has the fingerprint it was run on,
        and a quoted-numbers result (key numbers_...) while the source is the one it read."""
        current = Derivation.objects.filter(
            revision_id=models.OuterRef("revision_id"),
            key=models.OuterRef("derivation_key"),
            fingerprint=models.OuterRef("fingerprint"),
        )
        numbers = models.Q(
            derivation_key__startswith=NUMBERS_PREFIX,
            fingerprint=revision.content_hash,
        )
        return self.filter(revision=revision).filter(models.Exists(current) | numbers)


class CheckResult(models.Model):
    """The outcome of a derivation's numerical check, written by the check runner.

    Keyed by (revision, derivation id, fingerprint) and kept apart from `Derivation`, whose
    rows a re-render deletes and writes again: nothing that re-renders can lose a result,
    and a result stops applying the moment the derivation's content (its fingerprint)
    differs from what was checked. A failed result blocks publishing.
    """

    class Status(models.TextChoices):
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        NONE = "", "Not checked"  # the note has no checks file

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="check_results")
    derivation_key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    error = models.FloatField(null=True, blank=True)
    tolerance = models.FloatField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    checked_at = models.DateTimeField()

    objects = CheckResultQuerySet.as_manager()

    # The results of a checks file's numbers_<name>() functions, which compare the numbers a
    # note quotes with computed ones, are stored under the function's name and the source's
    # content_hash, the revision's own (notes/checking/quoted.py).

    class Meta:
        ordering = ["revision", "derivation_key"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "derivation_key", "fingerprint"], name="check_result_unique")
        ]

    def __str__(self) -> str:
        return f"{self.revision}#{self.derivation_key}: {self.status or 'unchecked'}"


class Equation(models.Model):
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="equations")
    label = models.CharField(max_length=100)
    number = models.PositiveIntegerField()
    tex = models.TextField()
    html = models.TextField()
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["revision", "number"]
        constraints = [models.UniqueConstraint(fields=["revision", "label"], name="equation_label_unique")]

    def __str__(self) -> str:
        return self.label


class Figure(models.Model):
    """A figure's data as its `figure_<key>()` returned it when the revision was written.

    Part of the revision's content, like its source, and as immutable: the checks file may
    change afterwards, so a re-render draws the SVG (which is in `Revision.html`) again from
    this data, and never runs the function again (notes.rendering.figures.StoredFigures).
    """

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="figures")
    key = models.CharField(max_length=100)
    data = models.JSONField()

    class Meta:
        ordering = ["revision", "key"]
        constraints = [models.UniqueConstraint(fields=["revision", "key"], name="figure_key_unique")]

    def __str__(self) -> str:
        return f"{self.revision} figure {self.key}"


class Link(models.Model):
    """A cross-link from a revision to another note (and maybe an anchor in it)."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="links")
    target_note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="incoming_links")
    anchor = models.CharField(max_length=120, blank=True)
    text = models.CharField(max_length=300, blank=True)
    context_html = models.TextField(blank=True)  # the sentence around the link, sanitized

    def __str__(self) -> str:
        return f"{self.revision} -> {self.target_note_id}#{self.anchor}"


class Prerequisite(models.Model):
    """An edge declared in a revision's front matter: `revision.note` builds on `prerequisite`."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="prerequisites")
    prerequisite = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="required_by")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["revision", "position"]
        constraints = [models.UniqueConstraint(fields=["revision", "prerequisite"], name="prerequisite_unique")]

    def __str__(self) -> str:
        return f"{self.revision} needs {self.prerequisite_id}"


class ReviewQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=Review.State.IN_REVIEW)


class Review(models.Model):
    """A request to publish one revision, and how it ended."""

    class State(models.TextChoices):
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="reviews")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="reviews")
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_REVIEW)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            # The database refuses a second open review of the same note.
            models.UniqueConstraint(
                fields=["note"], condition=models.Q(state="in_review"), name="one_open_review_per_note"
            )
        ]

    def __str__(self) -> str:
        return f"{self.revision} {self.state}"


# One limit for a reviewer's comment, used by the model, the form, the service and the page.
MAX_COMMENT_CHARS = 5000


class ReviewComment(models.Model):
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=MAX_COMMENT_CHARS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"comment on {self.revision}"


class PublishRecord(models.Model):
    """The audit trail: every publish and rollback, who did it, from which revision to which."""

    class Action(models.TextChoices):
        PUBLISH = "publish", "Published"
        ROLLBACK = "rollback", "Rolled back"
        RETIRE = "retire", "Retired"  # taken offline; to_revision is the revision that was live

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="publish_records")
    from_revision = models.ForeignKey(Revision, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="publish_records")
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.PUBLISH)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.note_id}: {self.from_revision_id} -> {self.to_revision_id}"


# Tables that live beside the code that keeps them; imported here so that Django registers them.
from notes.formula_store import RenderedFormula  # noqa: E402, F401
from notes.graph.models import GraphDrawing  # noqa: E402, F401
from notes.search.models import SearchDocument, SearchFormula, SearchTerm, SearchUnit  # noqa: E402, F401
