"""The inbox's tab counts read from an index alone on PostgreSQL (docs/decisions.md 68)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("referrals", "0010_inbox_search_index")]

    operations = [
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["partner", "state"], name="referral_partner_state"),
        ),
    ]
