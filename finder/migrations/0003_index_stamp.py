"""The stamp of the search table's content, by which each process knows its facet index is current."""

import uuid
from typing import Any

from django.db import migrations, models


def stamp(apps: Any, schema_editor: Any) -> None:
    apps.get_model("finder", "IndexStamp").objects.using(schema_editor.connection.alias).create(
        pk=1, stamp=uuid.uuid4().hex
    )


class Migration(migrations.Migration):
    dependencies = [("finder", "0002_fulltext_index")]

    operations = [
        migrations.CreateModel(
            name="IndexStamp",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("stamp", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(stamp, migrations.RunPython.noop),
    ]
