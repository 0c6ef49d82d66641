"""The finder's search index: one row per visible business profile, written by finder.indexing.

Everything a search filters, facets, ranks and shows is denormalised here, so that a search reads
this table (and its full-text index) and nothing else. The full-text index itself is vendor SQL made
by migration 0002: an FTS5 table on SQLite, a weighted tsvector column with a GIN index on PostgreSQL
(see finder.backends).
"""

from __future__ import annotations

from django.db import models


class SearchEntry(models.Model):
    """A profile that the finder may show: active, of an active partner. Others have no row."""

    profile = models.OneToOneField(
        "partners.BusinessProfile", on_delete=models.CASCADE, primary_key=True, related_name="search_entry"
    )
    partner_id = models.IntegerField(db_index=True)
    partner_name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, db_index=True)
    city = models.CharField(max_length=120, blank=True, help_text="The first location's city, for display")
    # Codes with a space on each side (" finance retail "), so one containment test matches a whole code.
    industries = models.TextField(default=" ")
    products = models.TextField(default=" ")
    services = models.TextField(default=" ")
    languages = models.TextField(default=" ")
    target_sizes = models.TextField(default=" ", help_text="The sizes the profile targets, as it listed them")
    sizes = models.TextField(default=" ", help_text="The sizes it may be shown for: all, unless it opted out")
    keywords = models.JSONField(default=list)
    # Stemmed text (finder.text): what the full-text index holds; also read to tell tag hits from text hits.
    tags_text = models.TextField(default="")
    # How many stems its tags and keywords have: among equal scores, the more specialised profile comes first.
    tag_terms = models.IntegerField(default=0)
    description_text = models.TextField(default="")
    # The prior (finder.indexing.refresh_priors): ranking signals that do not depend on the query, in [0, 1].
    responsiveness = models.FloatField(default=0.5)
    outcomes = models.FloatField(default=0.5)
    prior = models.FloatField(default=0.5, db_index=True)
    # The counters behind the prior, for "why here".
    answered = models.IntegerField(default=0)
    answered_timely = models.IntegerField(default=0)
    unanswered = models.IntegerField(default=0, help_text="Missed and expired referrals")
    won = models.IntegerField(default=0)
    lost = models.IntegerField(default=0)

    class Meta:
        db_table = "finder_search"


class SearchPlace(models.Model):
    """A location of an indexed profile; radius searches prefilter on the (lat, lon) index, then haversine."""

    entry = models.ForeignKey(SearchEntry, on_delete=models.CASCADE, related_name="places")
    location_id = models.IntegerField()
    city = models.CharField(max_length=120)
    lat = models.FloatField()
    lon = models.FloatField()

    class Meta:
        db_table = "finder_search_place"
        indexes = [models.Index(fields=["lat", "lon"], name="finder_place_lat_lon")]


class PriorWatermark(models.Model):
    """The last referral history row whose profile's prior has been refreshed (one row, pk 1), and the ids
    below it not seen yet: a history row's id is taken when it is written, so one whose transaction commits
    after a later one's appears below the mark (or never: rolled back)."""

    last_event_id = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=list)


class IndexStamp(models.Model):
    """The version of the search table's content (one row, pk 1): each process keeps its snapshot of the table
    (finder.snapshot) while the version it was built at stands, and catches up through IndexChange after.

    Every transaction that writes the index first raises the version (finder.indexing.touch) and so holds
    this row's lock until it commits: versions commit in their order, so a version read is one whose changes
    are all committed and visible (SQLite's single writer gives the same). A rolled-back change gives its
    version back, and its change rows go with it."""

    version = models.BigIntegerField(default=0)
    # A random value given to the row when it is made: versions count again from 1 in a database whose row was
    # deleted (a test database flushed), and a snapshot of another epoch is never taken for this one's.
    epoch = models.CharField(max_length=32, default="")
    # A snapshot older than this must be built anew: the table was rebuilt, or older changes were pruned.
    horizon = models.BigIntegerField(default=0)


class IndexChange(models.Model):
    """A profile whose search row changed at a version: written, deleted, or (PRIORS) its prior alone."""

    ROW, PRIORS = 0, 1

    version = models.BigIntegerField(db_index=True)
    profile_id = models.IntegerField()
    kind = models.SmallIntegerField(default=ROW)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "finder_index_change"


class RequestSender(models.Model):
    """An e-mail address that sent a request from the finder, by its digest (finder.requests): its row is locked
    while a request from it is checked and written, so that the 24 h rule against asking a partner twice holds
    when the same request arrives many times at once."""

    email_digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the lower-cased address")
    last_request_at = models.DateTimeField()

    class Meta:
        db_table = "finder_request_sender"


class PhraseVector(models.Model):
    """The multilingual embedding (matching.embeddings) of a keyword phrase some indexed profile has, computed
    when the profile is indexed (finder.semantic), once per phrase: the snapshot compares a need with each
    phrase once, and a profile's meaning is its phrases' (finder.snapshot)."""

    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the normalised phrase")
    phrase = models.TextField()
    vector = models.BinaryField(help_text="float32, little-endian, of unit length")

    class Meta:
        db_table = "finder_phrase_vector"
