# Check results move out of the Derivation rows that a re-render deletes (issue 12).

import django.db.models.deletion
from django.db import migrations, models


def results_from_derivations(apps, schema_editor):
    """Each derivation's stored outcome becomes a result keyed by its content."""
    Derivation = apps.get_model("notes", "Derivation")
    CheckResult = apps.get_model("notes", "CheckResult")
    checked = Derivation.objects.exclude(checked_at=None)
    CheckResult.objects.bulk_create(
        CheckResult(
            revision_id=d.revision_id,
            derivation_key=d.key,
            fingerprint=d.fingerprint,
            status=d.check_status,
            detail=d.check_detail,
            error=d.check_error,
            tolerance=d.check_tolerance,
            seconds=d.check_seconds,
            checked_at=d.checked_at,
        )
        for d in checked.iterator()
    )


def derivations_from_results(apps, schema_editor):
    Derivation = apps.get_model("notes", "Derivation")
    CheckResult = apps.get_model("notes", "CheckResult")
    for r in CheckResult.objects.iterator():
        Derivation.objects.filter(revision_id=r.revision_id, key=r.derivation_key, fingerprint=r.fingerprint).update(
            check_status=r.status,
            check_detail=r.detail,
            check_error=r.error,
            check_tolerance=r.tolerance,
            check_seconds=r.seconds,
            checked_at=r.checked_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0007_search_two_phase"),
    ]

    operations = [
        migrations.CreateModel(
            name="CheckResult",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("derivation_key", models.CharField(max_length=100)),
                ("fingerprint", models.CharField(max_length=64)),
                (
                    "status",
                    models.CharField(
                        blank=True,
                        choices=[("passed", "Passed"), ("failed", "Failed"), ("", "Not checked")],
                        max_length=10,
                    ),
                ),
                ("detail", models.CharField(blank=True, max_length=500)),
                ("error", models.FloatField(blank=True, null=True)),
                ("tolerance", models.FloatField(blank=True, null=True)),
                ("seconds", models.FloatField(blank=True, null=True)),
                ("checked_at", models.DateTimeField()),
                (
                    "revision",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="check_results", to="notes.revision"
                    ),
                ),
            ],
            options={
                "ordering": ["revision", "derivation_key"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("revision", "derivation_key", "fingerprint"), name="check_result_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(results_from_derivations, derivations_from_results),
        migrations.RemoveField(
            model_name="derivation",
            name="check_detail",
        ),
        migrations.RemoveField(
            model_name="derivation",
            name="check_error",
        ),
        migrations.RemoveField(
            model_name="derivation",
            name="check_seconds",
        ),
        migrations.RemoveField(
            model_name="derivation",
            name="check_status",
        ),
        migrations.RemoveField(
            model_name="derivation",
            name="check_tolerance",
        ),
        migrations.RemoveField(
            model_name="derivation",
            name="checked_at",
        ),
    ]
