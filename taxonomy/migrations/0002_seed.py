from django.db import migrations

from taxonomy import seed


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    seed.load(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("taxonomy", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
