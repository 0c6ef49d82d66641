"""A lock row per e-mail address that sends finder requests (finder.requests: the 24 h rule under concurrency)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("finder", "0005_prior_watermark_gaps"),
    ]

    operations = [
        migrations.CreateModel(
            name="RequestSender",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "email_digest",
                    models.CharField(help_text="SHA-256 of the lower-cased address", max_length=64, unique=True),
                ),
                ("last_request_at", models.DateTimeField()),
            ],
            options={
                "db_table": "finder_request_sender",
            },
        ),
    ]
