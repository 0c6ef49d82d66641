"""Benchmark data at realistic scale, loaded in bulk into the tables `manage.py migrate` made.

Partners, profiles, engagements and referrals are pure functions of their ids, streamed with COPY
on PostgreSQL and executemany on SQLite; the customer contacts, the history and the alerts already
sent are derived from them by INSERT ... SELECT. On PostgreSQL the plain indexes and the foreign
keys of the big tables are built after the load. A million referrals through the services would
take hours; this takes about a minute.

Layout of the referrals, in id order (most of a real table is closed history):
  closed  84%  won, lost, skipped, missed, declined, expired, created over the last two years
  due     10%  new or evaluating, deadline in (NOW - 24 h, NOW]: what a sweep at NOW moves
  open     6%  new, evaluating or negotiating, nothing due at NOW
Engagements take two or three referrals each, one customer contact each.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction

from notifications import outbox
from notifications.models import OutboxMessage
from partners.models import BusinessProfile, Location, Partner, ProfileContact
from referrals import lifecycle
from referrals.lifecycle import Action, Actor, Deadlines, State
from referrals.models import CustomerContact, Engagement, ProfileResponsiveness, Programme, Referral, ReferralEvent

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
# Earlier than every deadline, reminder and outbox due time in the data: a pass there finds nothing.
IDLE_AT = NOW - timedelta(days=1)

PARTNERS = 2000
COUNTRIES = ["DE", "FR", "GB", "NL", "PL", "ES", "IT", "SE", "AT", "CH", "BE", "CZ", "RU", "KZ", "US", "CA", "IN", "JP"]
SIZES = ["1-9", "10-49", "50-249", "250-999", "1000-4999", "5000+"]
INDUSTRIES = ["manufacturing", "retail", "finance", "healthcare", "education", "professional-services"]
HOUR = 3600
DAY = 24 * HOUR
COPY_ROWS = 20_000


# --- Layout ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    kind: str
    first_referral: int  # ids before the block
    referrals: int
    first_engagement: int
    engagements: int


def engagements_for(referrals: int) -> int:
    """Engagements take 2, 3, 2, 3, ... referrals; the last one of a block may have fewer."""
    pairs, rest = divmod(referrals, 5)
    return 2 * pairs + (0 if rest == 0 else 1 if rest <= 2 else 2)


def place(i: int) -> tuple[int, int]:
    """(engagement within the block, position within the engagement) of the block's i-th referral."""
    pairs, m = divmod(i, 5)
    return (2 * pairs, m) if m < 2 else (2 * pairs + 1, m - 2)


@dataclass(frozen=True)
class Layout:
    blocks: tuple[Block, ...]

    @property
    def referrals(self) -> int:
        return sum(b.referrals for b in self.blocks)

    @property
    def engagements(self) -> int:
        return sum(b.engagements for b in self.blocks)

    @property
    def due(self) -> int:
        return sum(b.referrals for b in self.blocks if b.kind == "due")


def layout(referrals: int) -> Layout:
    due = referrals // 10
    open_ = referrals * 6 // 100
    blocks: list[Block] = []
    first_referral = first_engagement = 0
    for kind, count in (("closed", referrals - due - open_), ("due", due), ("open", open_)):
        block = Block(kind, first_referral, count, first_engagement, engagements_for(count))
        blocks.append(block)
        first_referral += block.referrals
        first_engagement += block.engagements
    return Layout(tuple(blocks))


# --- Partners and profiles ---------------------------------------------------------------------


def profile_partners() -> list[int]:
    """Partner of each profile (index = profile id - 1): one home profile each, a second for 30%."""
    return list(range(1, PARTNERS + 1)) + [p for p in range(1, PARTNERS + 1) if p % 10 < 3]


def profile_country(profile_id: int, partner_id: int) -> str:
    # A second profile sits 7 countries along, so (partner, country) stays unique.
    shift = 0 if profile_id <= PARTNERS else 7
    return COUNTRIES[(partner_id + shift) % len(COUNTRIES)]


def profile_of(engagement_id: int, position: int, profiles: int) -> int:
    """Distinct profiles within an engagement (613 and 1226 are no multiples of the profile count)."""
    return 1 + (engagement_id * 7919 + position * 613) % profiles


# --- Time, from ids ----------------------------------------------------------------------------

MASK = (1 << 64) - 1


def unit(n: int, salt: int) -> float:
    """A uniform number in [0, 1) that depends only on (n, salt): splitmix64's finaliser."""
    x = (n * 0x9E3779B97F4A7C15 + salt * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    # 53 bits: exactly what a float holds, so the result never rounds up to 1.0.
    return ((x ^ (x >> 31)) >> 11) / 2.0**53


def seconds(n: int, salt: int, low: int, high: int) -> int:
    """Whole seconds in [low, high): whole, so SQLite's text timestamps compare like Django's."""
    return low + int(unit(n, salt) * (high - low))


def at(offset: int) -> datetime:
    return NOW + timedelta(seconds=offset)


def engagement_created(block: Block, j: int, engagement_id: int) -> int:
    """Seconds from NOW at which the block's j-th engagement was created (its referrals too)."""
    if block.kind == "closed":
        # Spread over two years, ending 60 days ago so that every closed story has ended by now.
        return -730 * DAY + int(670 * DAY * (j + unit(engagement_id, 1)) / max(block.engagements, 1))
    if block.kind == "due":
        if due_is_new(engagement_id):
            # Deadline created + 72 h lands in (NOW - 24 h, NOW].
            return -72 * HOUR - seconds(engagement_id, 2, 0, DAY - 1)
        return -7 * DAY - 48 * HOUR - seconds(engagement_id, 2, 0, 12 * HOUR)
    kind = open_kind(engagement_id)
    if kind == State.NEW:
        return -seconds(engagement_id, 2, 0, 72 * HOUR - 1)
    if kind == State.EVALUATING:
        return -3 * DAY - seconds(engagement_id, 2, 0, 4 * DAY)
    return -20 * DAY - seconds(engagement_id, 2, 0, 30 * DAY)


def due_is_new(engagement_id: int) -> bool:
    return unit(engagement_id, 3) < 0.6


def open_kind(engagement_id: int) -> State:
    u = unit(engagement_id, 3)
    return State.NEW if u < 0.5 else State.EVALUATING if u < 0.83 else State.NEGOTIATING


# --- A referral's story ------------------------------------------------------------------------


@dataclass(slots=True)
class Story:
    """One referral's life up to NOW; times are seconds from NOW (negative: before it)."""

    referral_id: int
    engagement_id: int
    profile_id: int
    created: int
    moves: list[tuple[Action, State, int]] = field(default_factory=list)
    first_answer: int | None = None
    reason: str = ""
    deal: Decimal | None = None
    close_date: date | None = None
    final: Decimal | None = None

    @property
    def state(self) -> State:
        return self.moves[-1][1] if self.moves else State.NEW

    @property
    def entered(self) -> int:
        return self.moves[-1][2] if self.moves else self.created

    def move(self, action: Action, offset: int) -> None:
        self.moves.append((action, lifecycle.next_state(self.state, action), offset))
        if action in lifecycle.FIRST_ANSWERS:
            self.first_answer = offset

    def negotiate(self, offset: int) -> None:
        self.move(Action.ACCEPT, offset)
        self.deal = Decimal(1000 + (self.referral_id % 997) * 50)
        self.close_date = (at(offset) + timedelta(days=30)).date()


def answer_delay(referral_id: int) -> int:
    """Minutes to days; a little over half within the urged 24 hours."""
    return 600 + int(unit(referral_id, 4) ** 2 * 70 * HOUR)


def closed_story(story: Story) -> None:
    r, c = story.referral_id, story.created
    first = c + answer_delay(r)
    decided = first + seconds(r, 5, HOUR, 7 * DAY - HOUR)
    u = unit(r, 6)
    if u < 0.25:
        story.move(Action.MISS, c + 72 * HOUR)
    elif u < 0.45:
        story.move(Action.SKIP, first)
        story.reason = "not-our-field"
    elif u < 0.60:
        story.move(Action.INTERESTED, first)
        story.move(Action.EXPIRE, first + 7 * DAY)
    elif u < 0.75:
        story.move(Action.INTERESTED, first)
        story.move(Action.DECLINE, decided)
        story.reason = "customer-too-small"
    else:
        story.move(Action.INTERESTED, first)
        story.negotiate(decided)
        ended = decided + seconds(r, 7, DAY, 30 * DAY)
        if u < 0.85:
            story.move(Action.LOSE, ended)
            story.reason = "competitor"
        else:
            story.move(Action.WIN, ended)
            story.final = story.deal


def due_story(story: Story) -> None:
    if due_is_new(story.engagement_id):
        return
    # created = NOW - 9 d - s; answering at 24 h + s + v puts the 7-day deadline at NOW - 24 h + v.
    s = -story.created - 7 * DAY - 48 * HOUR
    story.move(Action.INTERESTED, story.created + 24 * HOUR + s + seconds(story.referral_id, 8, 1, DAY))


def open_story(story: Story) -> None:
    kind = open_kind(story.engagement_id)
    if kind == State.NEW:
        return
    first = story.created + seconds(story.referral_id, 8, HOUR, 48 * HOUR)
    story.move(Action.INTERESTED, first)
    if kind == State.NEGOTIATING:
        story.negotiate(first + seconds(story.referral_id, 5, HOUR, 6 * DAY))


STORIES = {"closed": closed_story, "due": due_story, "open": open_story}


def stories(plan: Layout, profiles: int) -> Iterator[Story]:
    for block in plan.blocks:
        tell = STORIES[block.kind]
        for i in range(block.referrals):
            j, position = place(i)
            engagement_id = block.first_engagement + j + 1
            story = Story(
                referral_id=block.first_referral + i + 1,
                engagement_id=engagement_id,
                profile_id=profile_of(engagement_id, position, profiles),
                created=engagement_created(block, j, engagement_id),
            )
            tell(story)
            yield story


# --- Rows --------------------------------------------------------------------------------------

NOW_TS = NOW.timestamp()


class Stamp:
    """Timestamps as the database takes them: aware datetimes, or Django's text on SQLite."""

    def __init__(self, vendor: str) -> None:
        self.text = vendor == "sqlite"

    def __call__(self, offset: int | None) -> Any:
        if offset is None:
            return None
        value = datetime.fromtimestamp(NOW_TS + offset, UTC)
        return str(value.replace(tzinfo=None)) if self.text else value


REFERRAL_COLUMNS = (
    "id",
    "engagement_id",
    "profile_id",
    "partner_id",
    "location_id",
    "state",
    "version",
    "created_at",
    "updated_at",
    "state_entered_at",
    "deadline_at",
    "remind_at",
    "first_answer_at",
    "evaluating_at",
    "negotiating_at",
    "won_at",
    "lost_at",
    "skipped_at",
    "missed_at",
    "declined_at",
    "expired_at",
    "deal_value",
    "deal_currency",
    "expected_close_date",
    "final_value",
    "reason",
)
STAMPED = tuple(s for s in State if s != State.NEW)


def referral_row(story: Story, partners: Sequence[int], deadlines: Deadlines, stamp: Stamp) -> tuple[Any, ...]:
    state, entered = story.state, story.entered
    due = lifecycle.deadline(state, at(entered), deadlines)
    remind = lifecycle.next_reminder_at(state, at(entered), due, NOW, deadlines)
    entered_at = {target: offset for _action, target, offset in story.moves}
    return (
        story.referral_id,
        story.engagement_id,
        story.profile_id,
        partners[story.profile_id - 1],
        story.profile_id,
        state.value,
        1 + len(story.moves),
        stamp(story.created),
        stamp(entered),
        stamp(entered),
        stamp(_offset(due)),
        stamp(_offset(remind)),
        stamp(story.first_answer),
        *(stamp(entered_at.get(s)) for s in STAMPED),
        story.deal,
        "EUR" if story.deal is not None else "",
        story.close_date,
        story.final,
        story.reason,
    )


def _offset(value: datetime | None) -> int | None:
    return None if value is None else int((value - NOW).total_seconds())


@dataclass
class Counters:
    received: int = 0
    answered: int = 0
    answered_within_24h: int = 0
    answer_seconds_total: int = 0
    missed: int = 0
    expired: int = 0

    def count(self, story: Story) -> None:
        self.received += 1
        if story.first_answer is not None:
            delay = story.first_answer - story.created
            self.answered += 1
            self.answered_within_24h += delay <= 24 * HOUR
            self.answer_seconds_total += delay
        self.missed += story.state == State.MISSED
        self.expired += story.state == State.EXPIRED


# --- Loading -----------------------------------------------------------------------------------


def chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def load(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert rows (values for `columns`); every other column gets its model default."""
    fields = [model._meta.get_field(name) for name in columns]
    rest = [f for f in model._meta.concrete_fields if f.attname not in columns and not f.primary_key]
    names = ", ".join(connection.ops.quote_name(f.column) for f in [*fields, *rest])
    # Defaults are prepared once: per row and column it would cost more than the load itself.
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + defaults)
                    count += 1
        else:
            marks = ", ".join(["%s"] * (len(fields) + len(rest)))
            for chunk in chunks(rows, COPY_ROWS):
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", [r + defaults for r in chunk])
                count += len(chunk)
    return count


def execute(sql: str, params: Sequence[Any] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def load_partners(stamp: Stamp) -> list[int]:
    partners = profile_partners()
    load(
        Partner,
        ("id", "name", "country", "status", "verified", "created_at"),
        (
            (p, f"Partner {p}", COUNTRIES[p % len(COUNTRIES)], "active", p % 3 == 0, stamp(-1100 * DAY))
            for p in range(1, PARTNERS + 1)
        ),
    )
    load(
        BusinessProfile,
        ("id", "partner_id", "country", "description", "languages", "created_at", "updated_at"),
        (
            (
                i,
                p,
                profile_country(i, p),
                f"Cloud services by partner {p}.",
                '["en"]',
                stamp(-1000 * DAY),
                stamp(-100 * DAY),
            )
            for i, p in enumerate(partners, 1)
        ),
    )
    profiles = range(1, len(partners) + 1)
    load(
        Location,
        ("id", "profile_id", "city", "address", "lat", "lon"),
        ((i, i, f"City {i % 300}", f"Main street {i}", 50.0 + i % 10, 10.0 + i % 20) for i in profiles),
    )
    load(
        ProfileContact,
        ("profile_id", "name", "email", "language"),
        (
            (i, "Alerts", f"alerts{i}-{n}@partner{p}.example", "ru" if i % 5 == 0 else "en")
            for i, p in enumerate(partners, 1)
            for n in range(1 + (i % 3 == 0))
        ),
    )
    return partners


def engagement_rows(plan: Layout, stamp: Stamp) -> Iterator[tuple[Any, ...]]:
    for block in plan.blocks:
        for j in range(block.engagements):
            e = block.first_engagement + j + 1
            yield (
                e,
                f"b{e:011d}{int(unit(e, 9) * 2**52):013x}",
                f"Customer {e}",
                SIZES[e % len(SIZES)],
                INDUSTRIES[e % len(INDUSTRIES)],
                COUNTRIES[e % len(COUNTRIES)],
                f"City {e % 300}",
                "Move 200 mailboxes to the cloud",
                "ru" if e % 5 == 0 else "en",
                True,
                e % 2 == 0,
                "finder",
                stamp(engagement_created(block, j, e)),
            )


def load_engagements(plan: Layout, stamp: Stamp) -> None:
    load(
        Engagement,
        (
            "id",
            "public_token",
            "customer_company",
            "customer_size_id",
            "customer_industry_id",
            "customer_country",
            "customer_city",
            "need",
            "language",
            "consent_contact",
            "consent_share",
            "source",
            "created_at",
        ),
        engagement_rows(plan, stamp),
    )
    execute(
        f"INSERT INTO {CustomerContact._meta.db_table} (engagement_id, name, email, phone) "
        f"SELECT id, 'Buyer ' || id, 'buyer' || id || '@customer' || id || '.example', '' "
        f"FROM {Engagement._meta.db_table} ORDER BY id"
    )


def load_referrals(plan: Layout, partners: Sequence[int], stamp: Stamp) -> None:
    deadlines = Programme.deadlines()
    # The layout's arithmetic (e.g. answering a due evaluating referral within 72 h) assumes these.
    assert deadlines == Deadlines(), "the generator expects the programme's default deadlines"
    counters = [Counters() for _ in partners]

    def referral_rows() -> Iterator[tuple[Any, ...]]:
        for story in stories(plan, len(partners)):
            counters[story.profile_id - 1].count(story)
            yield referral_row(story, partners, deadlines, stamp)

    load(Referral, REFERRAL_COLUMNS, referral_rows())
    load(
        ProfileResponsiveness,
        ("profile_id", "received", "answered", "answered_within_24h", "answer_seconds_total", "missed", "expired"),
        (
            (i, c.received, c.answered, c.answered_within_24h, c.answer_seconds_total, c.missed, c.expired)
            for i, c in enumerate(counters, 1)
        ),
    )


def history_sources() -> list[tuple[str, str, State | None, State]]:
    """(timestamp column, action, from, to) of every event a referral's stamps imply."""
    moves = [
        (f"{target.value}_at", action.value, source, target) for (source, action), target in lifecycle.MOVES.items()
    ]
    return [("created_at", "create", None, State.NEW), *moves]


def load_history() -> None:
    """The history and the alerts of the referrals, derived from their stamps by the database itself."""
    referrals = Referral._meta.db_table
    for column, action, source, target in history_sources():
        timer = action in lifecycle.TIMER_ACTIONS
        actor = Actor.SYSTEM if timer else Actor.API if action == "create" else Actor.USER
        label = "timer" if timer else "import" if action == "create" else "partner user"
        # Only the closing moves carry a reason, and a closed referral keeps it.
        reason = "reason" if target in (State.SKIPPED, State.DECLINED, State.LOST) else "''"
        execute(
            f"INSERT INTO {ReferralEvent._meta.db_table} "
            "(referral_id, at, actor_kind, actor_id, actor_label, action, from_state, to_state, reason, comment) "
            f"SELECT id, {column}, %s, NULL, %s, %s, %s, %s, {reason}, '' FROM {referrals} "
            f"WHERE {column} IS NOT NULL ORDER BY id",
            [actor.value, label, action, source.value if source else "", target.value],
        )
    # The alert each referral sent its profile when it was created, long delivered.
    payload = "'{}'::jsonb" if connection.vendor == "postgresql" else "'{}'"
    execute(
        f"INSERT INTO {OutboxMessage._meta.db_table} (channel, template, to_address, language, referral_id, "
        "payload, created_at, due_at, claimed_until, attempts, sent_at, failed_at, last_error) "
        f"SELECT 'email', %s, 'alerts' || profile_id || '-0@partner' || partner_id || '.example', 'en', id, "
        f"{payload}, created_at, NULL, NULL, 1, created_at, NULL, '' FROM {referrals} ORDER BY id",
        [outbox.PARTNER_NEW_REFERRAL],
    )


GENERATED = (
    Partner,
    BusinessProfile,
    Location,
    ProfileContact,
    Engagement,
    CustomerContact,
    Referral,
    ReferralEvent,
    OutboxMessage,
    ProfileResponsiveness,
)
# The big tables: on PostgreSQL their plain indexes and foreign keys are built after the load.
BULK = (Engagement, CustomerContact, Referral, ReferralEvent, OutboxMessage)


@contextmanager
def indexes_afterwards(tables: Sequence[type[models.Model]]) -> Iterator[None]:
    """PostgreSQL: drop the indexes that back no constraint and the foreign keys, recreate them after.

    One sorted build per index instead of a million random inserts; re-adding a foreign key checks
    every row in one query. Primary keys and unique constraints stay and check as rows arrive.
    """
    if connection.vendor != "postgresql":
        yield
        return
    names = [t._meta.db_table for t in tables]
    with connection.cursor() as cursor:
        # Checks still queued for rows already loaded would block ALTER TABLE: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))",
            [names],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [names],
        )
        foreign_keys = cursor.fetchall()
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def analyze() -> None:
    """Planner statistics and, on PostgreSQL, hint bits and the visibility map: set now, not mid-measurement."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def generate(referrals: int) -> dict[str, Any]:
    started = time.perf_counter()
    plan = layout(referrals)
    stamp = Stamp(connection.vendor)
    with transaction.atomic():
        if Referral.objects.exists():
            raise SystemExit("the database already holds referrals: generate into a fresh one")
        partners = load_partners(stamp)
        with indexes_afterwards(BULK):
            load_engagements(plan, stamp)
            load_referrals(plan, partners, stamp)
            load_history()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(GENERATED)):
                cursor.execute(sql)
    loaded = time.perf_counter()
    analyze()
    due = Referral.objects.filter(deadline_at__lte=NOW).count()
    assert due == plan.due, (due, plan.due)
    return {
        "referrals": plan.referrals,
        "due": due,
        "engagements": plan.engagements,
        "profiles": len(partners),
        "events": ReferralEvent.objects.count(),
        "load_seconds": round(loaded - started, 1),
        "analyze_seconds": round(time.perf_counter() - loaded, 1),
    }


def main(argv: Sequence[str]) -> None:
    """`python -m bench generate REFERRALS`: prints what it made as one JSON line."""
    print(json.dumps(generate(int(argv[0]))), flush=True)
