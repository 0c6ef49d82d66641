"""The referral history ids below the prior's watermark not seen yet (finder.indexing.refresh_changed_priors)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("finder", "0004_tag_terms_and_change_log")]

    operations = [migrations.AddField(model_name="priorwatermark", name="gaps", field=models.JSONField(default=list))]
