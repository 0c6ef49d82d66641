from django.db import migrations


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("referrals", "Programme").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
