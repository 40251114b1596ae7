"""Admin for every model. Revisions and what they contain are history: read-only here."""

from django.contrib import admin

from notes.models import (
    CheckResult,
    Derivation,
    Equation,
    Link,
    Note,
    Prerequisite,
    PublishRecord,
    Review,
    ReviewComment,
    Revision,
    Topic,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "parent", "order"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["slug", "live_revision", "latest_revision", "created_at"]
    search_fields = ["slug"]
    list_select_related = ["live_revision", "latest_revision"]
    # Which revision is live changes only through the publishing services.
    readonly_fields = ["slug", "latest_revision", "live_revision", "created_at"]
    filter_horizontal = ["topics"]

    def has_add_permission(self, request):
        return False


class DerivationInline(admin.TabularInline):
    model = Derivation
    fields = ["key", "title", "fingerprint"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["note", "number", "title", "author", "created_at", "renderer_version"]
    list_filter = ["renderer_version"]
    search_fields = ["note__slug", "title", "message"]
    list_select_related = ["note", "author"]
    inlines = [DerivationInline]


@admin.register(Derivation)
class DerivationAdmin(ReadOnlyAdmin):
    list_display = ["key", "title", "revision", "fingerprint"]
    search_fields = ["key", "title"]
    list_select_related = ["revision__note"]


@admin.register(CheckResult)
class CheckResultAdmin(ReadOnlyAdmin):
    """Written by the check runner only (`check_derivations`, or "Run the checks")."""

    list_display = ["derivation_key", "revision", "status", "detail", "seconds", "checked_at"]
    list_filter = ["status"]
    search_fields = ["derivation_key", "revision__note__slug"]
    list_select_related = ["revision__note"]


@admin.register(Equation)
class EquationAdmin(ReadOnlyAdmin):
    list_display = ["label", "number", "revision"]
    search_fields = ["label", "tex"]
    list_select_related = ["revision__note"]


@admin.register(Link)
class LinkAdmin(ReadOnlyAdmin):
    list_display = ["revision", "target_note", "anchor"]
    list_select_related = ["revision__note", "target_note"]


@admin.register(Prerequisite)
class PrerequisiteAdmin(ReadOnlyAdmin):
    list_display = ["revision", "prerequisite", "position"]
    list_select_related = ["revision__note", "prerequisite"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["note", "revision", "state", "submitted_by", "submitted_at", "decided_by"]
    list_filter = ["state"]
    list_select_related = ["note", "revision", "submitted_by", "decided_by"]


@admin.register(ReviewComment)
class ReviewCommentAdmin(ReadOnlyAdmin):
    list_display = ["revision", "author", "created_at"]
    list_select_related = ["revision__note", "author"]


@admin.register(PublishRecord)
class PublishRecordAdmin(ReadOnlyAdmin):
    """The audit trail; written only by the publishing services."""

    list_display = ["note", "action", "from_revision", "to_revision", "user", "created_at"]
    list_filter = ["action"]
    list_select_related = ["note", "from_revision", "to_revision", "user"]
