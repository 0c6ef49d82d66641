from django.db import migrations

from taxonomy import seed


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    for model_name, rows in (("Industry", seed.INDUSTRIES), ("Product", seed.PRODUCTS), ("ServiceType", seed.SERVICE_TYPES)):
        model = apps.get_model("taxonomy", model_name)
        for sort, (code, en, ru) in enumerate(rows):
            model.objects.update_or_create(code=code, defaults={"name_en": en, "name_ru": ru, "sort": sort})
    CompanySize = apps.get_model("taxonomy", "CompanySize")
    for sort, (code, en, ru, low, high) in enumerate(seed.COMPANY_SIZES):
        CompanySize.objects.update_or_create(
            code=code, defaults={"name_en": en, "name_ru": ru, "sort": sort, "min_employees": low, "max_employees": high}
        )
    Currency = apps.get_model("taxonomy", "Currency")
    for code, name in seed.CURRENCIES:
        Currency.objects.update_or_create(code=code, defaults={"name": name})
    Reason = apps.get_model("taxonomy", "Reason")
    for sort, (kind, code, en, ru) in enumerate(seed.REASONS):
        Reason.objects.update_or_create(kind=kind, code=code, defaults={"name_en": en, "name_ru": ru, "sort": sort})


class Migration(migrations.Migration):
    dependencies = [("taxonomy", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
