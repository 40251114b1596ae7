"""Editor forms. The body uses django-markdownx's widget; its preview goes to our pipeline."""

from django import forms
from django.conf import settings
from markdownx.widgets import MarkdownxWidget

from notes.editorial.selectors import STATE_LABELS
from notes.models import MAX_COMMENT_CHARS, Note, Topic
from notes.rendering.frontmatter import MAX_SUMMARY, MAX_TITLE, SLUG, SLUG_RULE


class NoteForm(forms.Form):
    title = forms.CharField(max_length=MAX_TITLE)
    slug = forms.CharField(
        max_length=100,
        help_text="Lowercase letters, digits and hyphens. Permanent once the note is live.",
    )
    summary = forms.CharField(max_length=MAX_SUMMARY, widget=forms.Textarea(attrs={"rows": 2}))
    topics = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple)
    prerequisites = forms.MultipleChoiceField(
        choices=(), required=False, help_text="Notes a reader should know first (hold Ctrl or ⌘ to pick several)."
    )
    # "id_body_keys" says what Tab does (templates/editor/_body_field.html); an id with an
    # underscore, like a form field's, is one no heading in the preview can take.
    body = forms.CharField(
        widget=MarkdownxWidget(attrs={"rows": 28, "spellcheck": "true", "aria-describedby": "id_body_keys"}),
        strip=False,
    )
    message = forms.CharField(max_length=500, required=False, help_text="What changed and why (shown in the history).")
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, note: Note | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.note = note
        self.fields["topics"].choices = [(t.slug, t.title) for t in Topic.objects.all()]
        others = Note.objects.exclude(pk=note.pk) if note else Note.objects.all()
        self.fields["prerequisites"].choices = [
            (n.slug, n.latest_revision.title if n.latest_revision else n.slug)
            for n in others.select_related("latest_revision").order_by("slug")
        ]
        if note is not None and note.live_revision_id:
            self.fields["slug"].disabled = True
            self.fields["slug"].initial = note.slug

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if not SLUG.fullmatch(slug):
            raise forms.ValidationError(f"Use {SLUG_RULE}.")
        clash = Note.objects.filter(slug=slug)
        if self.note is not None:
            clash = clash.exclude(pk=self.note.pk)
        if clash.exists():
            raise forms.ValidationError(f"The slug '{slug}' is taken; choose another.")
        return slug

    def clean_body(self):
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError("The body is empty: write at least one paragraph.")
        size = len(body.encode("utf-8"))
        if size > settings.NOTE_MAX_BYTES:
            raise forms.ValidationError(f"The body is {size:,} bytes; the limit is {settings.NOTE_MAX_BYTES:,} (1 MB).")
        return body


class CommentForm(forms.Form):
    body = forms.CharField(max_length=MAX_COMMENT_CHARS, widget=forms.Textarea(attrs={"rows": 3}), label="Comment")


class FilterForm(forms.Form):
    STATES = [("", "Any state"), *STATE_LABELS.items()]
    q = forms.CharField(required=False, label="Title contains", max_length=200)
    state = forms.ChoiceField(choices=STATES, required=False)
    topic = forms.ChoiceField(choices=(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", "Any topic")] + [(t.slug, t.title) for t in Topic.objects.all()]
