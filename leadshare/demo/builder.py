"""Builds the demo: partners, their people and profiles, and two months of referrals.

Every referral is created and moved through referrals.services with a clock that runs from two
months ago up to `now`, and the sweeper applies the deadlines on the way, so the history, the
counters and the outbox are exactly what the live system would have written. Random choices come
from one seeded generator and every time is an offset from `now`: two runs build the same data.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from finder.indexing import rebuild_all
from leadshare.demo import data
from leadshare.demo.data import PartnerSpec
from notifications.models import OutboxMessage
from partners.models import BusinessProfile, Location, Partner, ProfileContact, Role, User
from referrals import services, timers
from referrals.actors import ActorRef
from referrals.lifecycle import OPEN
from referrals.models import Engagement, Programme, Referral
from taxonomy import seed
from taxonomy.models import CompanySize, Industry, Product, ServiceType

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
HISTORY = 60 * DAY
ENGAGEMENTS = 200
FRESH = 30  # more requests in the last three days, so that every inbox has something to answer
FRESH_WINDOW = 3 * DAY
PAUSED_SINCE = 21 * DAY
# The partners behind the printed logins leave their latest referrals for whoever tries the demo.
LEFT_FOR_YOU = 24 * HOUR
# Outbox rows older than this are history: marked delivered so that a worker does not send them now.
STILL_DUE = HOUR
# A partner acts at least this long before a deadline (a later action would lose to the deadline).
SAFETY = timedelta(minutes=5)

SIZE_WEIGHTS = {"1-9": 12, "10-49": 25, "50-249": 30, "250-999": 18, "1000-4999": 10, "5000+": 5}
SIZE_ORDER = list(SIZE_WEIGHTS)
SIZE_EMPLOYEES = {
    "1-9": (2, 9),
    "10-49": (10, 49),
    "50-249": (50, 249),
    "250-999": (250, 999),
    "1000-4999": (1000, 4999),
    "5000+": (5000, 30000),
}
SIZE_DEAL_FACTOR = {"1-9": 0.3, "10-49": 0.7, "50-249": 1.5, "250-999": 4.0, "1000-4999": 10.0, "5000+": 25.0}
COUNTRY_WEIGHTS = {"RU": 35, "KZ": 8, "DE": 12, "GB": 12, "US": 12, "FR": 7, "PL": 6, "NL": 8}
SOURCE_WEIGHTS = {"finder": 45, "agent": 30, "advertising": 25}
TARGET_COUNTS = {"finder": ([1, 2, 3], [40, 35, 25]), "agent": ([1, 2], [60, 40]), "advertising": ([1, 2], [55, 45])}


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    partner: str


@dataclass
class DemoResult:
    now: datetime
    partners: int = 0
    profiles: int = 0
    users: int = 0
    engagements: int = 0
    referrals: int = 0
    states: dict[str, int] = field(default_factory=dict)


@dataclass
class _Team:
    spec: PartnerSpec
    partner: Partner
    admin: User
    user: User | None = None
    demo: bool = False  # its admin is one of the printed logins


@dataclass
class _Profile:
    profile: BusinessProfile
    team: _Team
    products: frozenset[str]
    sizes: frozenset[str]
    cities: tuple[str, ...]


def login_table() -> list[Login]:
    """The fixed demo logins that exist in this database, operators first."""
    wanted = [
        (data.PROGRAMME_ADMIN_EMAIL, "Programme admin (Django admin)"),
        (data.AGENT_EMAIL, "Operator agent"),
        (data.PARTNER_ADMIN_EMAIL, "Referrals admin"),
        (data.PARTNER_USER_EMAIL, "Referrals user"),
        (data.PROFILE_ADMIN_EMAIL, "Profile admin"),
        (data.PARTNER_ADMIN_EN_EMAIL, "Referrals admin"),
    ]
    users = {u.email: u for u in User.objects.filter(email__in=[e for e, _ in wanted]).select_related("partner")}
    table = []
    for email, role in wanted:
        user = users.get(email)
        if user is not None:
            table.append(Login(role, email, user.partner.name if user.partner else ""))
    return table


def build(now: datetime | None = None, seed_value: int = 42) -> DemoResult:
    """Fill an empty database with the demo, all in one transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        demo = _Demo(random.Random(seed_value), now)
        demo.people_and_partners()
        demo.simulate()
        demo.finish()
        # The finder's index, with the counters and pauses the simulation left (written with update()).
        rebuild_all()
        return demo.result()


class _Demo:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.deadlines = Programme.deadlines()
        self.password = make_password(data.PASSWORD)
        self.profiles: list[_Profile] = []
        self.agent: User | None = None
        self.queue: list[tuple[datetime, int, Callable[[datetime], object]]] = []
        self.seq = itertools.count()
        self.swept_to: datetime | None = None

    # --- People, partners and profiles --------------------------------------------------------

    def _user(
        self, email: str, role: str, partner: Partner | None, name: tuple[str, str], country: str, **extra: bool
    ) -> User:
        return User.objects.create(
            email=email,
            password=self.password,
            role=role,
            partner=partner,
            first_name=name[0],
            last_name=name[1],
            language="ru" if country in data.RU_SPEAKING else "en",
            time_zone=data.TIME_ZONES.get(country, "UTC"),
            **extra,
        )

    def people_and_partners(self) -> None:
        self._user(
            data.PROGRAMME_ADMIN_EMAIL,
            Role.PROGRAMME_ADMIN,
            None,
            ("Programme", "Admin"),
            "GB",
            is_staff=True,
            is_superuser=True,
        )
        self.agent = self._user(data.AGENT_EMAIL, Role.AGENT, None, ("Alex", "Agent"), "GB")
        for index, spec in enumerate(data.PARTNERS):
            self._partner(index, spec)

    def _partner(self, index: int, spec: PartnerSpec) -> None:
        rng = self.rng
        russian = spec.country in data.RU_SPEAKING
        domain = f"{spec.slug}.example.ru" if russian else f"{spec.slug}.example.com"
        partner = Partner.objects.create(name=spec.name, country=spec.country, verified=spec.verified)
        staff = rng.sample(data.STAFF_RU if russian else data.STAFF_EN, 3)
        admin_email = f"admin@{domain}"
        if index == 0:
            admin_email = data.PARTNER_ADMIN_EMAIL
        elif spec.name == data.ENGLISH_PARTNER:
            admin_email = data.PARTNER_ADMIN_EN_EMAIL
        admin = self._user(admin_email, Role.REFERRALS_ADMIN, partner, staff[0], spec.country)
        team = _Team(spec, partner, admin, demo=admin_email.endswith("@leadshare.example"))
        if spec.team:
            team.user = self._user(
                data.PARTNER_USER_EMAIL if index == 0 else f"sales@{domain}",
                Role.REFERRALS_USER,
                partner,
                staff[1],
                spec.country,
            )
            self._user(
                data.PROFILE_ADMIN_EMAIL if index == 0 else f"marketing@{domain}",
                Role.PROFILE_ADMIN,
                partner,
                staff[2],
                spec.country,
            )
        for country, cities in spec.profiles:
            self.profiles.append(self._profile(team, country, cities, domain, staff[0]))
        if team.user is not None:
            # The referrals user works the referrals of the head office besides those assigned to them.
            team.user.locations.set([self.profiles[-len(spec.profiles)].profile.locations.all()[0]])

    def _profile(self, team: _Team, country: str, cities: list[str], domain: str, person: tuple[str, str]) -> _Profile:
        rng, spec = self.rng, team.spec
        russian = spec.country in data.RU_SPEAKING
        keywords: list[str] = []
        services_: list[str] = []
        for product in spec.focus:
            ru_words, en_words, product_services = data.FOCUS[product]
            keywords += rng.sample(ru_words if russian else en_words, 2)
            services_ += [s for s in product_services if s not in services_]
        keywords = keywords[: rng.randint(3, 6)]
        places = ", ".join(cities)
        if russian:
            description = (
                f"{spec.name} помогает компаниям: {', '.join(keywords[:-1])} и {keywords[-1]}. Офисы: {places}."
            )
        else:
            description = f"{spec.name} helps organisations with {', '.join(keywords[:-1])} and {keywords[-1]}. "
            description += f"Offices in {places}."
        home = country == spec.country
        profile = BusinessProfile.objects.create(
            partner=team.partner,
            country=country,
            description=description,
            website=f"https://{domain}/" if home else f"https://{domain}/{country.lower()}/",
            languages=data.LANGUAGES[country],
            keywords=keywords,
            only_target_sizes=spec.only_target_sizes,
            capacity=spec.capacity if home else None,
        )
        industries: list[str] = [code for code, _en, _ru in seed.INDUSTRIES]
        profile.industries.set(Industry.objects.filter(code__in=rng.sample(industries, rng.randint(1, 5))))
        profile.products.set(Product.objects.filter(code__in=spec.focus))
        profile.services.set(ServiceType.objects.filter(code__in=services_[: rng.randint(2, 4)]))
        profile.target_sizes.set(CompanySize.objects.filter(code__in=spec.sizes))
        for city in cities:
            lat, lon = data.CITIES[country][city]
            street = rng.choice(data.STREETS[country])
            address = f"{street}, {rng.randint(1, 120)}"
            Location.objects.create(profile=profile, city=city, address=address, lat=lat, lon=lon)
        language = "ru" if russian else "en"
        desk = "Отдел продаж" if russian else "Referrals desk"
        box = "referrals" if home else f"referrals-{country.lower()}"
        ProfileContact.objects.create(profile=profile, name=desk, email=f"{box}@{domain}", language=language)
        if rng.random() < 0.5:
            mailbox = "manager" if russian else person[1].lower()
            ProfileContact.objects.create(
                profile=profile, name=" ".join(person), email=f"{mailbox}@{domain}", language=language
            )
        return _Profile(profile, team, frozenset(spec.focus), frozenset(spec.sizes), tuple(cities))

    # --- The clock ----------------------------------------------------------------------------

    def at(self, when: datetime, step: Callable[[datetime], object], team: _Team | None = None) -> None:
        """Run `step` when the clock reaches `when`; never after `now` (that has not happened yet)."""
        horizon = self.now - LEFT_FOR_YOU if team is not None and team.demo else self.now
        if when <= horizon:
            heapq.heappush(self.queue, (when, next(self.seq), step))

    def sweep(self, when: datetime) -> None:
        """What the worker would have done by `when`; skipped cheaply when nothing has come due."""
        if self.swept_to is not None and when <= self.swept_to:
            return
        if Referral.objects.filter(Q(deadline_at__lte=when) | Q(remind_at__lte=when)).exists():
            timers.sweep(when)
        self.swept_to = when

    def simulate(self) -> None:
        rng = self.rng
        for _ in range(ENGAGEMENTS):
            # Business grows: somewhat more requests lately.
            offset = HISTORY * (rng.random() ** 1.3)
            self.at(self.now - offset, self.engagement)
        for _ in range(FRESH):
            self.at(self.now - FRESH_WINDOW * rng.random(), self.engagement)
        while self.queue:
            when, _seq, step = heapq.heappop(self.queue)
            self.sweep(when)
            step(when)
        self.sweep(self.now)

    # --- Customers' requests ------------------------------------------------------------------

    def _pick(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _company(self, country: str) -> tuple[str, str]:
        rng = self.rng
        if country in data.RU_SPEAKING:
            adjectives, nouns = data.RU_COMPANY_WORDS if country == "RU" else data.KZ_COMPANY_WORDS
            adjective, noun = rng.choice(adjectives), rng.choice(nouns)
            if country == "RU":
                return f"ООО «{adjective[0]} {noun[0]}»", f"{adjective[1]}-{noun[1]}"
            return f"ТОО «{adjective[0]}{noun[0]}»", f"{adjective[1]}{noun[1]}"
        first, second = rng.choice(data.EN_COMPANY_WORDS[0]), rng.choice(data.EN_COMPANY_WORDS[1])
        handle = f"{first}-{second}".lower().replace(" ", "")
        return f"{first} {second} {data.COMPANY_SUFFIX[country]}", handle

    def _phone(self, country: str) -> str:
        r = self.rng.randint
        return {
            "RU": f"+7 9{r(10, 99)} {r(100, 999)}-{r(10, 99)}-{r(10, 99)}",
            "KZ": f"+7 70{r(0, 8)} {r(100, 999)} {r(1000, 9999)}",
            "DE": f"+49 30 {r(1000000, 9999999)}",
            "GB": f"+44 20 {r(1000, 9999)} {r(1000, 9999)}",
            "US": f"+1 212 555 01{r(10, 99)}",
            "FR": f"+33 1 {r(10, 99)} {r(10, 99)} {r(10, 99)} {r(10, 99)}",
            "PL": f"+48 22 {r(100, 999)} {r(10, 99)} {r(10, 99)}",
            "NL": f"+31 20 {r(100, 999)} {r(1000, 9999)}",
        }[country]

    def _candidates(self, country: str, size: str, when: datetime) -> list[_Profile]:
        paused_at = self.now - PAUSED_SINCE
        usable = [
            p
            for p in self.profiles
            if p.profile.country == country
            and not (country in p.team.spec.paused and when >= paused_at)
            and not (p.team.spec.only_target_sizes and size not in p.sizes)
        ]
        limited = [p.profile.pk for p in usable if p.profile.capacity is not None]
        open_counts = dict(
            Referral.objects.filter(profile_id__in=limited, state__in=[s.value for s in OPEN])
            .values_list("profile_id")
            .annotate(n=Count("id"))
        )
        return [
            p for p in usable if p.profile.capacity is None or open_counts.get(p.profile.pk, 0) < p.profile.capacity
        ]

    def engagement(self, when: datetime) -> None:
        rng = self.rng
        country = self._pick(COUNTRY_WEIGHTS)
        size = self._pick(SIZE_WEIGHTS)
        source = self._pick(SOURCE_WEIGHTS)
        products, service_codes, need_ru, need_en = rng.choice(data.NEEDS)
        low, high = SIZE_EMPLOYEES[size]
        people = max(3, int(rng.randint(low, high) * rng.uniform(0.4, 1.0)))
        city = rng.choice(list(data.CITIES[country]))
        candidates = self._candidates(country, size, when)
        if not candidates:
            return
        scored = sorted(
            candidates,
            # The partners behind the printed logins are popular, so that their inboxes are full.
            key=lambda p: (
                len(p.products & set(products))
                + (0.5 if city in p.cities else 0)
                + (1.0 if p.team.demo else 0)
                + rng.random() * 0.8
            ),
            reverse=True,
        )
        counts, weights = TARGET_COUNTS[source]
        targets = scored[: rng.choices(counts, weights=weights)[0]]
        russian = country in data.RU_SPEAKING
        company, handle = self._company(country)
        domain = f"{handle}.example.{'ru' if russian else 'com'}"
        contacts = [
            services.ContactInput(name, f"{mail}@{domain}", self._phone(country))
            for name, mail in rng.sample(data.PEOPLE[country], rng.choices([1, 2], weights=[80, 20])[0])
        ]
        currency = data.CURRENCY[country]
        budget = None
        if rng.random() < 0.4:
            budget = self._money(currency, size, 0.6, 1.6)
        industry = rng.choice(seed.INDUSTRIES)[0]
        if source == "finder":
            actor = ActorRef.system("partner finder")
        elif source == "agent":
            assert self.agent is not None
            actor = ActorRef.person(self.agent)
        else:
            actor = ActorRef.system("advertising intake")
        campaigns = data.CAMPAIGNS.get(country, data.CAMPAIGNS["other"])
        engagement = services.create_engagement(
            services.EngagementInput(
                company=company,
                size=size,
                country=country,
                city=city,
                address=f"{rng.choice(data.STREETS[country])}, {rng.randint(1, 200)}",
                need=(need_ru if russian else need_en).format(n=people),
                contacts=contacts,
                consent_contact=True,
                consent_share=rng.random() < 0.5,
                source=source,
                targets=[p.profile.pk for p in targets],
                industry=industry,
                requested_industries=[industry] if rng.random() < 0.3 else [],
                requested_products=list(products),
                requested_services=list(service_codes),
                budget=budget,
                budget_currency=currency if budget else "",
                timeline=rng.choice(data.TIMELINES_RU if russian else data.TIMELINES_EN),
                language="ru" if russian else "en",
                campaign_id=rng.choice(campaigns) if source == "advertising" else "",
            ),
            actor,
            when,
        )
        by_profile = {p.profile.pk: p for p in targets}
        for referral in Referral.objects.filter(engagement=engagement).order_by("id"):
            self._plan(referral, by_profile[referral.profile_id], engagement, when)

    def _money(self, currency: str, size: str, low: float, high: float) -> Decimal:
        amount = data.DEAL_UNIT[currency] * SIZE_DEAL_FACTOR[size] * self.rng.uniform(low, high)
        step = 1000 if currency in ("RUB", "KZT") else 100
        return Decimal(max(step, round(amount / step) * step))

    # --- How partners answer ------------------------------------------------------------------

    def _plan(self, referral: Referral, target: _Profile, engagement: Engagement, created: datetime) -> None:
        """Decide this referral's future now, and put its first step on the clock."""
        rng, team = self.rng, target.team
        answer_median, answer_sigma, _em, _es, p_silent, _pn = data.PACES[team.spec.pace]
        worker = team.admin
        earliest = created
        if team.user is not None and rng.random() < 0.5:
            assigned = created + timedelta(minutes=rng.randint(5, 90))
            user = team.user
            self.at(assigned, lambda t: services.assign(referral.pk, ActorRef.person(team.admin), t, user.pk), team)
            worker, earliest = user, assigned
        via_crm = team.spec.crm and rng.random() < 0.7
        actor = ActorRef.api(worker, "CRM sync") if via_crm else ActorRef.person(worker)
        if rng.random() < p_silent:
            return  # nobody answers: the sweeper marks it missed
        delay = timedelta(hours=rng.lognormvariate(0, answer_sigma) * answer_median)
        answer = max(created + delay, earliest + timedelta(minutes=rng.randint(3, 30)))
        assert referral.deadline_at is not None
        if answer >= referral.deadline_at - SAFETY:
            return  # too late: missed
        fits = bool(target.products & set(engagement.requested_products))
        sized = engagement.customer_size_id in target.sizes
        skip_chance = 0.1 if fits else 0.5
        if rng.random() < skip_chance:
            reason = "not-our-field" if not fits else rng.choices(data.SKIP_REASONS, weights=data.SKIP_WEIGHTS)[0]
            self.at(answer, lambda t: services.skip(referral.pk, actor, t, reason=reason), team)
            return

        def interested(t: datetime) -> None:
            services.mark_interested(referral.pk, actor, t)
            self._plan_evaluation(referral.pk, target, engagement, actor, t, fits, sized)

        self.at(answer, interested, team)

    def _plan_evaluation(
        self,
        referral_id: int,
        target: _Profile,
        engagement: Engagement,
        actor: ActorRef,
        since: datetime,
        fits: bool,
        sized: bool,
    ) -> None:
        rng, team = self.rng, target.team
        spec = team.spec
        size = engagement.customer_size_id
        assert size is not None  # every demo customer says its size
        _am, _as, median, sigma, _ps, p_undecided = data.PACES[spec.pace]
        if rng.random() < p_undecided:
            return  # no decision: the sweeper lets it expire
        decided = since + timedelta(hours=rng.lognormvariate(0, sigma) * median)
        if decided >= since + self.deadlines.evaluating - SAFETY:
            return  # too late: expired
        russian = spec.country in data.RU_SPEAKING
        decline_chance = 0.15 if fits and sized else 0.5
        if rng.random() < decline_chance:
            if not fits:
                reason = "not-our-field"
            elif not sized:
                smallest_target = min(target.sizes, key=SIZE_ORDER.index)
                smaller = SIZE_ORDER.index(size) < SIZE_ORDER.index(smallest_target)
                reason = "customer-too-small" if smaller else "customer-too-large"
            else:
                reason = rng.choices(data.DECLINE_REASONS, weights=data.DECLINE_WEIGHTS)[0]
            comment = (data.DECLINE_COMMENTS_RU if russian else data.DECLINE_COMMENTS_EN).get(reason, "")
            self.at(decided, lambda t: services.decline(referral_id, actor, t, reason, comment), team)
            return
        currency = data.CURRENCY[target.profile.country]
        value = self._money(currency, size, 0.5, 2.0)
        close_in = timedelta(days=rng.randint(14, 75))
        note = rng.choice(data.NOTES_RU if russian else data.NOTES_EN) if rng.random() < 0.5 else ""
        note_after = timedelta(hours=rng.uniform(1, 30))
        outcome = rng.choices(["won", "lost", "open"], weights=[60, 28, 12])[0]
        closed_after = timedelta(days=rng.uniform(4, 30))
        final = (value * Decimal(str(round(rng.uniform(0.8, 1.15), 2)))).quantize(Decimal("1"))
        lose_reason = rng.choices(data.LOSE_REASONS, weights=data.LOSE_WEIGHTS)[0]

        def accept(t: datetime) -> None:
            services.accept(referral_id, actor, t, value, currency, (t + close_in).date())
            if note:
                self.at(t + note_after, lambda t2: services.update_notes(referral_id, actor, t2, note), team)
            if outcome == "won":
                self.at(t + closed_after, lambda t2: services.win(referral_id, actor, t2, final), team)
            elif outcome == "lost":
                self.at(t + closed_after, lambda t2: services.lose(referral_id, actor, t2, lose_reason), team)

        self.at(decided, accept, team)

    # --- The end ------------------------------------------------------------------------------

    def finish(self) -> None:
        for p in self.profiles:
            if p.profile.country in p.team.spec.paused:
                BusinessProfile.objects.filter(pk=p.profile.pk).update(status=BusinessProfile.Status.PAUSED)
        OutboxMessage.objects.filter(
            due_at__isnull=False, sent_at__isnull=True, created_at__lt=self.now - STILL_DUE
        ).update(sent_at=F("created_at"), due_at=None)

    def result(self) -> DemoResult:
        states = dict(Referral.objects.values_list("state").annotate(n=Count("id")))
        return DemoResult(
            now=self.now,
            partners=Partner.objects.count(),
            profiles=BusinessProfile.objects.count(),
            users=User.objects.count(),
            engagements=Engagement.objects.count(),
            referrals=Referral.objects.count(),
            states=states,
        )
