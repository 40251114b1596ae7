"""Pages that belong to one learner. Every view is for the logged-in owner only."""

import json

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.forms import AccountDeleteForm, SignupForm
from accounts.services import account_delete
from accounts.study import dashboard, plans
from accounts.study.selectors import stale_change
from accounts.study.services import ProgressError, progress_mark
from notes.diffs import inline_diff, step_pairs
from notes.http import wants_json


def signup(request):
    if request.user.is_authenticated:
        return redirect("notes:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # A new account has no failed logins to count: signed in by the password backend.
        login(request, user, backend="config.auth.ModelBackend")
        return redirect("notes:home")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_POST
def progress(request, slug, key):
    """Set a mark. A form post returns to the derivation; the page script asks for JSON."""
    try:
        mark = progress_mark(owner=request.user, slug=slug, key=key, state=request.POST.get("state", ""))
    except ProgressError as error:
        if wants_json(request):
            return JsonResponse({"error": str(error)}, status=400)
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    if wants_json(request):
        return JsonResponse({"key": mark.key, "state": mark.state, "label": mark.label, "stale": mark.stale})
    messages.success(request, f"“{mark.title}”: {mark.label.lower()}.")
    return redirect(reverse("notes:note", args=[slug]) + f"#{key}")


@login_required
def progress_changes(request, slug, key):
    """What changed in a derivation since the reader's mark: old and new steps side by side."""
    mark, old, live = stale_change(owner=request.user, slug=slug, key=key)
    context = {
        "note": live.revision.note,
        "mark": mark,
        "old": old,
        "live": live,
        "changed": mark.fingerprint != live.fingerprint,  # the text differs from what was marked
        "stale": mark.is_stale_against(live.fingerprint),  # ... and the mark claims it was worked through
        "steps": step_pairs(old.steps if old else [], live.steps),
        "diff": inline_diff(old.source if old else "", live.source),
    }
    return render(request, "accounts/progress_changes.html", context)


@login_required
def plan(request):
    target = request.GET.get("target", "").strip()
    derivation = request.GET.get("derivation", "").strip()
    context = {"target": target, "derivation": derivation, "rules": plans}
    if target:
        context["plan"] = plans.learning_plan(request.user, target, derivation)
    return render(request, "accounts/plan.html", context)


@login_required
def home(request):
    return render(request, "accounts/dashboard.html", dashboard.dashboard_for(request.user))


@login_required
def export_json(request):
    body = json.dumps(dashboard.export_data(request.user), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{request.user.username}-data.json"'
    return response


@login_required
def export_csv(request):
    response = HttpResponse(dashboard.export_progress_csv(request.user), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{request.user.username}-progress.csv"'
    return response


@login_required
def delete_account(request):
    form = AccountDeleteForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_delete(owner=request.user)
        logout(request)
        messages.success(request, "Your account and everything it held have been deleted.")
        return redirect("notes:home")
    return render(request, "accounts/delete.html", {"form": form})
