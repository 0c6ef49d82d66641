"""The count of tag stems (the finder's tie-break, the same on both databases) and each row's revision."""

import secrets
from typing import Any

from django.db import migrations, models


def count_tag_terms(apps: Any, schema_editor: Any) -> None:
    entries = apps.get_model("finder", "SearchEntry").objects.using(schema_editor.connection.alias)
    changed = []
    for entry in entries.only("profile_id", "tags_text").iterator(chunk_size=2000):
        entry.tag_terms = len(entry.tags_text.split())
        entry.revision = secrets.randbits(63)
        changed.append(entry)
        if len(changed) == 2000:
            entries.bulk_update(changed, ["tag_terms", "revision"])
            changed = []
    entries.bulk_update(changed, ["tag_terms", "revision"])


class Migration(migrations.Migration):
    dependencies = [("finder", "0003_index_stamp")]

    operations = [
        migrations.AddField(model_name="searchentry", name="tag_terms", field=models.IntegerField(default=0)),
        migrations.AddField(model_name="searchentry", name="revision", field=models.BigIntegerField(default=0)),
        migrations.RunPython(count_tag_terms, migrations.RunPython.noop),
    ]
