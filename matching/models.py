"""The routing engine's stored state and every routing decision it made (docs/decisions.md 37)."""

from __future__ import annotations

from django.db import models

from partners.models import BusinessProfile
from referrals.models import Engagement


class EngineState(models.Model):
    """The engine as last trained (one row, pk 1): the pickled `EnginePolicy`, its model version, and the last
    referral history row it learned from. `manage.py matching_train` rewrites it from the whole history; each
    worker pass feeds it the history rows written since (matching.learning)."""

    version = models.CharField(max_length=64)
    trained_at = models.DateTimeField()  # the last full refit
    updated_at = models.DateTimeField()  # the last incremental update
    last_event_id = models.BigIntegerField(default=0)
    observations = models.PositiveIntegerField(default=0)
    state = models.BinaryField()

    def __str__(self) -> str:
        return self.version


class RoutingDecision(models.Model):
    """One call of the routing service: who could get a request, each one's score and why, who was chosen."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="routing_decisions")
    policy = models.CharField(max_length=32)
    model_version = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    count = models.PositiveSmallIntegerField()  # how many partners were asked for
    excluded = models.JSONField(default=dict)  # hard rule -> how many profiles it excluded

    class Meta:
        indexes = [models.Index(fields=["engagement", "created_at"], name="routing_decision_engagement")]

    def __str__(self) -> str:
        return f"Routing decision {self.pk} for engagement {self.engagement_id}"


class RoutingCandidate(models.Model):
    """One eligible candidate of a decision, with its score and the points of each signal (they add up to it)."""

    decision = models.ForeignKey(RoutingDecision, on_delete=models.CASCADE, related_name="candidates")
    profile = models.ForeignKey(BusinessProfile, on_delete=models.CASCADE, related_name="routing_candidacies")
    rank = models.PositiveSmallIntegerField()  # 1 = the best score
    score = models.FloatField()
    p_interested = models.FloatField()
    p_accept = models.FloatField()
    p_win = models.FloatField()
    expected_value_eur = models.FloatField()
    contributions = models.JSONField(default=list)  # [{signal, label, points}], base first
    boost = models.CharField(max_length=32, blank=True)
    propensity = models.FloatField()
    chosen = models.BooleanField(default=False)

    class Meta:
        ordering = ["decision", "rank"]
        constraints = [models.UniqueConstraint(fields=["decision", "profile"], name="one_candidacy_per_decision")]
        # "The decision that chose referral X" is (engagement, profile) -> the chosen candidate.
        indexes = [models.Index(fields=["profile", "chosen"], name="routing_candidate_profile")]

    def __str__(self) -> str:
        return f"{self.profile_id} #{self.rank} in decision {self.decision_id}"


class ProfileVector(models.Model):
    """A profile's multilingual embedding (matching.vectors), stored once per change of what it embeds (`digest`
    of that text, and of the model), so that no process embeds a profile another one embedded already.

    Keyed by the profile's id without a foreign key: a process may store the vector of a profile deleted
    meanwhile, and that must not fail the routing decision it is part of (an orphan row is never read)."""

    profile_id = models.IntegerField(primary_key=True)
    digest = models.CharField(max_length=64)
    vector = models.BinaryField()

    def __str__(self) -> str:
        return f"Vector of profile {self.profile_id}"
