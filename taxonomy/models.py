"""Reference lists that drive forms, matching and reports. Seeded by migrations, editable in admin."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language


class Term(models.Model):
    code = models.SlugField(max_length=64, primary_key=True)
    name_en = models.CharField(max_length=120)
    name_ru = models.CharField(max_length=120)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.label()

    def label(self, language: str | None = None) -> str:
        lang = (language or get_language() or "en")[:2]
        return self.name_ru if lang == "ru" else self.name_en


class Industry(Term):
    class Meta(Term.Meta):
        verbose_name_plural = "industries"


class Product(Term):
    pass


class ServiceType(Term):
    pass


class CompanySize(Term):
    """A customer company size band, by number of employees."""

    min_employees = models.PositiveIntegerField()
    max_employees = models.PositiveIntegerField(null=True, blank=True)


class Currency(models.Model):
    code = models.CharField(max_length=3, primary_key=True)
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "currencies"

    def __str__(self) -> str:
        return self.code


class Reason(Term):
    """A structured reason for skipping, declining or losing a referral."""

    class Kind(models.TextChoices):
        SKIP = "skip", "No thanks"
        DECLINE = "decline", "Decline"
        LOSE = "lose", "Lost"

    id = models.BigAutoField(primary_key=True)
    code = models.SlugField(max_length=64)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    active = models.BooleanField(default=True)

    class Meta(Term.Meta):
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="reason_kind_code_unique")]
