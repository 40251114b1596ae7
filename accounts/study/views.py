"""Study mode and the due queue. Every view is for the logged-in learner's own schedule only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.views.decorators.http import require_POST

from accounts.models import ReviewLog
from accounts.study.links import study_links
from accounts.study.selectors import due_queue, next_scheduled, study_item
from accounts.study.services import SCHEDULE_RULE, ReviewError, StaleGradeError, review_grade, stamp_parse
from notes.selectors import live_note_or_404

GRADE_HINTS = {
    ReviewLog.Rating.AGAIN: "I could not finish it",
    ReviewLog.Rating.HARD: "I finished, with effort",
    ReviewLog.Rating.GOOD: "I finished it",
    ReviewLog.Rating.EASY: "It came at once",
}


@login_required
def queue(request):
    now = timezone.now()
    items = due_queue(request.user, now)
    upcoming = None if items else next_scheduled(request.user, now)
    context = {"items": items, "upcoming": upcoming, "schedule_rule": SCHEDULE_RULE}
    return render(request, "study/queue.html", context)


@login_required
def study(request, slug, key):
    item = study_item(owner=request.user, slug=slug, key=key)
    note_url = item.note.get_absolute_url()
    derivation = item.derivation
    context = {
        "item": item,
        "note": item.note,
        "derivation": derivation,
        "statement_html": study_links(derivation.statement_html, note_url=note_url),
        "steps": [{**step, "html": study_links(step["html"], note_url=note_url)} for step in derivation.steps],
        "result_html": study_links(derivation.result_html, note_url=note_url),
        "grades": [(r.value, r.label, GRADE_HINTS[r]) for r in ReviewLog.Rating],
    }
    return render(request, "study/study.html", context)


@login_required
@require_POST
def grade(request, slug, key):
    note = live_note_or_404(slug)
    now = timezone.now()
    try:
        result = review_grade(
            owner=request.user,
            note=note,
            derivation_key=key,
            rating=request.POST.get("rating", ""),
            expected_last_review=stamp_parse(request.POST.get("last_review", "")),
            now=now,
        )
    except ReviewError as error:
        status = 409 if isinstance(error, StaleGradeError) else 400
        context = {"message": str(error), "note": note, "key": key}
        return render(request, "study/refused.html", context, status=status)
    messages.success(
        request,
        f"Graded {result.log.get_rating_display().lower()}. Next review of this derivation in "
        f"{timeuntil(result.card.due, now)}.",
    )
    following = next((i for i in due_queue(request.user, now) if (i.slug, i.key) != (slug, key)), None)
    if following is None:
        return redirect("study:queue")
    return redirect(reverse("study:derivation", args=[following.slug, following.key]))
