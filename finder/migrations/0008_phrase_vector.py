"""The keyword phrases' multilingual embeddings (finder.models.PhraseVector), filled as profiles are indexed
(`manage.py finder_reindex` fills them for the profiles indexed before)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("finder", "0007_drop_fulltext_index")]

    operations = [
        migrations.CreateModel(
            name="PhraseVector",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "digest",
                    models.CharField(help_text="SHA-256 of the normalised phrase", max_length=64, unique=True),
                ),
                ("phrase", models.TextField()),
                ("vector", models.BinaryField(help_text="float32, little-endian, of unit length")),
            ],
            options={"db_table": "finder_phrase_vector"},
        ),
    ]
