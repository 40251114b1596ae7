"""The editors' hand on a note's background jobs: a failed job retried from the review page.

The list itself is part of the review page (`selectors.note_jobs`); a failed job stays there,
with its error, until someone retries it here (jobs.services.retry queues the same work again).
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from jobs.models import Job
from jobs.services import retry
from notes.editorial import selectors as editorial_selectors

# Whoever may set off a note's background work may set it off again: the jobs are a publish's
# (publish_note) or the numerical checks' (run_checks).
RETRY_PERMISSIONS = ("notes.publish_note", "notes.run_checks")


@require_POST
def job_retry(request, slug, job_id):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not any(request.user.has_perm(permission) for permission in RETRY_PERMISSIONS):
        raise PermissionDenied
    note = editorial_selectors.note_for_editor(slug)
    job = get_object_or_404(Job.objects.for_note(note.pk), pk=job_id)
    if job.state != Job.State.FAILED:
        messages.error(request, f"“{job.label}” is {job.state}, not failed: there is nothing to retry.")
    else:
        retry(job)
        messages.success(request, f"“{job.label}” is queued again.")
    return redirect("editor:review", slug=note.slug)
