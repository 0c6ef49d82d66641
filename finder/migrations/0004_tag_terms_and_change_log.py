"""The count of tag stems (the finder's tie-break, the same on both databases) and the change log that each
process's snapshot catches up by (finder.snapshot), versioned by IndexStamp instead of a random stamp."""

import uuid
from typing import Any

from django.db import migrations, models


def count_tag_terms(apps: Any, schema_editor: Any) -> None:
    entries = apps.get_model("finder", "SearchEntry").objects.using(schema_editor.connection.alias)
    changed = []
    for entry in entries.only("profile_id", "tags_text").iterator(chunk_size=2000):
        entry.tag_terms = len(entry.tags_text.split())
        changed.append(entry)
        if len(changed) == 2000:
            entries.bulk_update(changed, ["tag_terms"])
            changed = []
    entries.bulk_update(changed, ["tag_terms"])


def new_epoch(apps: Any, schema_editor: Any) -> None:
    stamps = apps.get_model("finder", "IndexStamp").objects.using(schema_editor.connection.alias)
    stamps.filter(pk=1).update(epoch=uuid.uuid4().hex)


class Migration(migrations.Migration):
    dependencies = [("finder", "0003_index_stamp")]

    operations = [
        migrations.AddField(model_name="searchentry", name="tag_terms", field=models.IntegerField(default=0)),
        migrations.RunPython(count_tag_terms, migrations.RunPython.noop),
        migrations.RemoveField(model_name="indexstamp", name="stamp"),
        migrations.AddField(model_name="indexstamp", name="version", field=models.BigIntegerField(default=0)),
        migrations.AddField(model_name="indexstamp", name="horizon", field=models.BigIntegerField(default=0)),
        migrations.AddField(model_name="indexstamp", name="epoch", field=models.CharField(default="", max_length=32)),
        migrations.RunPython(new_epoch, migrations.RunPython.noop),
        migrations.CreateModel(
            name="IndexChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField(db_index=True)),
                ("profile_id", models.IntegerField()),
                ("kind", models.SmallIntegerField(default=0)),
                ("at", models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
            options={"db_table": "finder_index_change"},
        ),
    ]
