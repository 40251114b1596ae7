import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_annotation_quote_html"),
    ]

    operations = [
        migrations.AddField(
            model_name="annotation",
            name="changed_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.RemoveIndex(model_name="annotation", name="annotation_owner_note"),
        migrations.AddIndex(
            model_name="annotation",
            index=models.Index(fields=["owner", "note", "changed_at"], name="annotation_owner_note_changed"),
        ),
        migrations.AddIndex(
            model_name="derivationprogress",
            index=models.Index(fields=["owner", "note", "updated_at"], name="mark_owner_note_updated"),
        ),
    ]
