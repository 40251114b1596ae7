"""Data migrations keep what readers and editors already have."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("notes", "0007_search_two_phase")]
AFTER = [("notes", "0008_check_results")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_check_results_move_out_of_derivation_rows():
    old = _migrate(BEFORE)
    Note, Revision, Derivation = (old.get_model("notes", name) for name in ("Note", "Revision", "Derivation"))
    note = Note.objects.create(slug="kept")
    revision = Revision.objects.create(note=note, number=1, title="Kept", source="x", content_hash="0" * 64)
    now = timezone.now()
    common = {"revision": revision, "position": 0, "source": "s", "title": "t"}
    Derivation.objects.create(
        key="good", fingerprint="a" * 64, check_status="passed", check_detail="ok", check_error=1e-14,
        check_tolerance=1e-12, check_seconds=0.2, checked_at=now, **common,
    )  # fmt: skip
    Derivation.objects.create(
        key="bad", fingerprint="b" * 64, check_status="failed", check_detail="error 0.5", checked_at=now, **common
    )
    Derivation.objects.create(key="never", fingerprint="c" * 64, **common)
    try:
        new = _migrate(AFTER)
        results = {r.derivation_key: r for r in new.get_model("notes", "CheckResult").objects.all()}
        assert set(results) == {"good", "bad"}  # a derivation never checked has no result
        good, bad = results["good"], results["bad"]
        assert (good.status, good.detail, good.error, good.tolerance, good.seconds, good.fingerprint) == (
            "passed", "ok", 1e-14, 1e-12, 0.2, "a" * 64,
        )  # fmt: skip
        assert (bad.status, bad.detail, bad.fingerprint, bad.revision_id) == (
            "failed",
            "error 0.5",
            "b" * 64,
            revision.pk,
        )
    finally:
        # Every app back at its newest migration, whatever came after 0008: the next tests in
        # this process share the database.
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_equation_labels_words_join_the_vocabulary():
    old = _migrate([("notes", "0011_search_units_and_terms")])
    Note, Revision, SearchDocument, SearchTerm = (
        old.get_model("notes", name) for name in ("Note", "Revision", "SearchDocument", "SearchTerm")
    )
    note = Note.objects.create(slug="rotary")
    revision = Revision.objects.create(note=note, number=1, title="Rotary", source="x", content_hash="0" * 64)
    SearchDocument.objects.create(note=note, revision=revision, title="Rotary", equations="eq:rope-score eq:qk")
    SearchTerm.objects.create(term="score")
    try:
        new = _migrate([("notes", "0012_search_tiers")])
        terms = set(new.get_model("notes", "SearchTerm").objects.values_list("term", flat=True))
        assert terms == {"rope", "score"}  # two-letter words ("eq", "qk") are never terms
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
