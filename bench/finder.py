"""The finder's search at scale: `python -m bench.finder` (needs BENCH_PG_URL and BENCH_TMP, as bench/run.sh sets).

BENCH_FINDER_PROFILES (100,000) generated business profiles, one partner each, with realistic Russian and
English keywords and descriptions (a vocabulary of about 380 phrases per language, drawn by a Zipf-Mandelbrot
law: a few common topics, a long tail; the keyword searches below are head phrases, the most common ones),
industries, products, services, target sizes and 1-2 locations at
real cities of partners.cities, bulk-inserted into a fresh SQLite file and a fresh PostgreSQL database;
then finder.indexing.rebuild_all builds the search index, and a process's snapshot of it is built (as
before gunicorn forks its workers). Each kind of query runs BENCH_FINDER_REPEAT (60) times after a warm-up,
rotating over a few realistic searches, through finder.search.search in-process (criteria to Results:
candidates, facets, ranking, the page's hits; no HTTP).

Each database runs in its own child process (Django reads DATABASE_URL once). The table goes to stdout,
progress to stderr.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.children import drop_postgres, figures, fresh_postgres, print_table, run_child

PROFILES = int(os.environ.get("BENCH_FINDER_PROFILES", "100000"))
REPEAT = int(os.environ.get("BENCH_FINDER_REPEAT", "60"))
WARM_UP = 5
BATCH = 5000
DB_NAME = "leadshare_bench_finder"

COUNTRIES = {"RU": 30, "DE": 14, "GB": 10, "US": 10, "FR": 8, "PL": 6, "KZ": 6, "NL": 5, "IT": 5, "ES": 6}
CITIES_PER_COUNTRY = 40
RU_KEYWORDS = [
    "облачное решение",
    "миграция почты",
    "перенос данных в облако",
    "внедрение CRM",
    "информационная безопасность",
    "резервное копирование",
    "управление складом",
    "электронный документооборот",
    "бухгалтерский учет",
    "автоматизация продаж",
    "аналитика данных",
    "машинное обучение",
    "техническая поддержка",
    "интеграция систем",
    "виртуальные рабочие места",
    "корпоративная почта",
    "видеоконференции",
    "обучение пользователей",
    "кибербезопасность",
    "управление проектами",
    "облачные вычисления",
    "защита персональных данных",
    "разработка приложений",
    "мобильные решения",
    "системная интеграция",
    "ИТ-аутсорсинг",
    "внедрение ERP",
    "сетевая инфраструктура",
    "голосовая связь",
    "контакт-центр",
    "бизнес-аналитика",
    "хранилище данных",
]
EN_KEYWORDS = [
    "cloud solutions",
    "email migration",
    "data migration",
    "CRM implementation",
    "information security",
    "backup and recovery",
    "warehouse management",
    "document management",
    "accounting",
    "sales automation",
    "data analytics",
    "machine learning",
    "technical support",
    "systems integration",
    "virtual desktops",
    "business email",
    "video conferencing",
    "user training",
    "cybersecurity",
    "project management",
    "cloud computing",
    "data protection",
    "app development",
    "mobile solutions",
    "managed services",
    "ERP implementation",
    "network infrastructure",
    "VoIP telephony",
    "contact centre",
    "business intelligence",
    "data warehouse",
    "identity management",
]
# The 32 phrases above are the head of each language's vocabulary (the common topics, most common first); the
# long tail is every activity applied to every object, as real directories have hundreds of distinct tags.
RU_ACTIVITIES = [
    "внедрение", "миграция", "настройка", "поддержка", "аудит", "интеграция", "разработка",
    "обслуживание", "модернизация", "резервное копирование", "мониторинг", "администрирование",
    "лицензирование", "обучение",
]  # fmt: skip
RU_OBJECTS = [
    "CRM", "ERP", "1С", "почты", "серверов", "сайтов", "баз данных", "сетей", "облачной инфраструктуры",
    "рабочих мест", "телефонии", "видеонаблюдения", "хранилищ данных", "Active Directory", "Microsoft 365",
    "Kubernetes", "SAP", "Битрикс24", "сервисов ИИ", "мобильных приложений", "интернет-магазинов",
    "систем безопасности", "электронной подписи", "складского учета", "кассовых систем",
]  # fmt: skip
EN_ACTIVITIES = [
    "implementation", "migration", "setup", "support", "audit", "integration", "development", "maintenance",
    "upgrade", "backup", "monitoring", "administration", "licensing", "training",
]  # fmt: skip
EN_OBJECTS = [
    "CRM", "ERP", "email", "server", "website", "database", "network", "cloud infrastructure", "workstation",
    "telephony", "CCTV", "data warehouse", "Active Directory", "Microsoft 365", "Kubernetes", "SAP", "Salesforce",
    "AI service", "mobile app", "online store", "firewall", "e-signature", "inventory system", "point-of-sale",
    "Google Workspace",
]  # fmt: skip
# Zipf-Mandelbrot weights by rank, 1 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT, as word frequencies go: the
# most common phrase is drawn about 2.5% of the time, so it is in about one profile of six of its language.
ZIPF_OFFSET = 10.0
ZIPF_EXPONENT = 1.0


def vocabulary(head: list[str], tail: list[str], seed: int) -> tuple[list[str], list[float]]:
    """The phrases of a language, most common first, and their cumulative weights (for random.choices)."""
    rest = [p for p in dict.fromkeys(tail) if p not in head]
    random.Random(seed).shuffle(rest)
    phrases = head + rest
    weights = [1.0 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT for rank in range(1, len(phrases) + 1)]
    return phrases, list(itertools.accumulate(weights))


RU_VOCABULARY = vocabulary(RU_KEYWORDS, [f"{a} {o}" for a in RU_ACTIVITIES for o in RU_OBJECTS], 1)
EN_VOCABULARY = vocabulary(EN_KEYWORDS, [f"{o} {a}" for o in EN_OBJECTS for a in EN_ACTIVITIES], 2)


def draw(rng: random.Random, language: tuple[list[str], list[float]], count: int) -> list[str]:
    """`count` distinct phrases drawn by their weights."""
    phrases, cumulative = language
    found: dict[str, None] = {}
    while len(found) < count:
        found.update(dict.fromkeys(rng.choices(phrases, cum_weights=cumulative, k=count - len(found))))
    return list(found)


RU_DESCRIPTIONS = [
    "Мы помогаем компаниям {a} и {b}. Работаем с {c} с 2009 года.",
    "Команда сертифицированных специалистов: {a}, {b}, {c}. Поддержка 24/7.",
    "Проекты под ключ: {a}; {b}. Более 300 успешных внедрений.",
]
EN_DESCRIPTIONS = [
    "We help companies with {a} and {b}. Working with {c} since 2009.",
    "A team of certified engineers: {a}, {b}, {c}. Support around the clock.",
    "Turnkey projects: {a}; {b}. Over 300 successful deployments.",
]
SIZES = ["1-9", "10-49", "50-249", "250-999", "1000-4999", "5000+"]

KEYWORD_QUERIES = ["облачные решения", "миграция почты", "email migration", "внедрение crm", "data analytics"]
CITY_QUERIES: list[dict[str, Any]] = [
    {"q": "облачные решения", "country": "RU", "city": "Moscow", "radius_km": 50},
    {"q": "email migration", "country": "DE", "city": "Berlin", "radius_km": 30},
    {"q": "информационная безопасность", "country": "RU", "city": "Saint Petersburg", "radius_km": 100},
    {"q": "data analytics", "country": "GB", "city": "London", "radius_km": 50},
]
FILTER_QUERIES: list[dict[str, Any]] = [
    {"country": "DE", "size": "50-249", "industry": "finance"},
    {"country": "RU", "size": "10-49", "industry": "retail", "language": "ru"},
    {"country": "FR", "service": "migration", "product": "crm"},
]


def say(message: str) -> None:
    print(f"[bench.finder {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- In the child: data, index, timings -----------------------------------------------------------


def generate(count: int, rng: random.Random) -> None:
    from partners import cities
    from partners.models import BusinessProfile, Location, Partner
    from taxonomy.models import Industry, Product, ServiceType

    industries = list(Industry.objects.values_list("code", flat=True))
    products = list(Product.objects.values_list("code", flat=True))
    services = list(ServiceType.objects.values_list("code", flat=True))
    places = {c: cities.search(c, "", limit=CITIES_PER_COUNTRY) for c in COUNTRIES}
    countries, weights = list(COUNTRIES), list(COUNTRIES.values())
    through = {name: getattr(BusinessProfile, name).through for name in ("industries", "products", "services")}
    through["target_sizes"] = BusinessProfile.target_sizes.through
    for start in range(0, count, BATCH):
        n = min(BATCH, count - start)
        chosen = rng.choices(countries, weights, k=n)
        partners = Partner.objects.bulk_create(
            Partner(name=f"{rng.choice(['Альфа', 'Nord', 'Vector', 'Cloud', 'Сфера'])} {start + i}", country=c)
            for i, c in enumerate(chosen)
        )
        profiles = []
        for partner, country in zip(partners, chosen, strict=True):
            russian = country in ("RU", "KZ") or rng.random() < 0.1
            words = RU_VOCABULARY if russian else EN_VOCABULARY
            keywords = draw(rng, words, rng.randint(2, 6))
            more = draw(rng, words, 3)
            template = rng.choice(RU_DESCRIPTIONS if russian else EN_DESCRIPTIONS)
            profiles.append(
                BusinessProfile(
                    partner=partner,
                    country=country,
                    description=template.format(a=more[0], b=more[1], c=more[2]),
                    keywords=keywords,
                    languages=["ru"] if russian else rng.choice([["en"], ["en", "de"], ["en", "fr"]]),
                    only_target_sizes=rng.random() < 0.2,
                )
            )
        profiles = BusinessProfile.objects.bulk_create(profiles)
        locations, links = [], {name: [] for name in through}  # type: ignore[var-annotated]
        for profile in profiles:
            for city in rng.sample(places[profile.country][:20] if rng.random() < 0.7 else places[profile.country], 2)[
                : rng.choice([1, 1, 2])
            ]:
                locations.append(Location(profile=profile, city=city.name, lat=city.lat, lon=city.lon))
            for name, codes, most in (
                ("industries", industries, 3),
                ("products", products, 3),
                ("services", services, 3),
                ("target_sizes", SIZES, 4),
            ):
                field = {"industries": "industry", "products": "product", "services": "servicetype"}.get(
                    name, "companysize"
                )
                for code in rng.sample(codes, rng.randint(1, most)):
                    links[name].append(through[name](businessprofile_id=profile.pk, **{f"{field}_id": code}))
        Location.objects.bulk_create(locations)
        for name, rows in links.items():
            through[name].objects.bulk_create(rows)
        say(f"{start + n:,} profiles")


def timed(run: Callable[[], object]) -> dict[str, float]:
    times = []
    for i in range(WARM_UP + REPEAT):
        started = time.perf_counter()
        run()
        if i >= WARM_UP:
            times.append((time.perf_counter() - started) * 1000)
    return figures(times)


def rotating(items: list[Any], make: Callable[[Any], Callable[[], object]]) -> Callable[[], object]:
    runs = [make(item) for item in items]
    state = {"i": 0}

    def run() -> object:
        state["i"] += 1
        return runs[state["i"] % len(runs)]()

    return run


def child() -> None:
    import django

    django.setup()
    from datetime import UTC, datetime

    from django.core.management import call_command
    from django.db import connection

    from finder import freshness
    from finder.indexing import rebuild_all, reindex_profiles
    from finder.models import SearchEntry
    from finder.search import Criteria, search

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    started = time.perf_counter()
    generate(PROFILES, random.Random(7))
    generated = time.perf_counter() - started
    say(f"{vendor}: {PROFILES:,} profiles generated in {generated:.0f} s; indexing")
    started = time.perf_counter()
    indexed = rebuild_all()
    built = time.perf_counter() - started
    say(f"{vendor}: {indexed:,} profiles indexed in {built:.0f} s")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    started = time.perf_counter()
    freshness.current()
    snapshot_s = time.perf_counter() - started
    say(f"{vendor}: snapshot built in {snapshot_s:.1f} s")
    now = datetime.now(UTC)

    def finder(criteria: dict[str, Any]) -> Callable[[], object]:
        return lambda: search(Criteria(**criteria), now)

    changed = iter(SearchEntry.objects.order_by("?").values_list("profile_id", flat=True)[: WARM_UP + REPEAT])

    def catch_up() -> float:
        # One profile changed (timed apart): the next search's snapshot reads that row alone.
        reindex_profiles([next(changed)])
        started = time.perf_counter()
        freshness.current()
        return time.perf_counter() - started

    totals = {
        "keyword": [search(Criteria(q=q), now).total for q in KEYWORD_QUERIES],
        "city": [search(Criteria(**c), now).total for c in CITY_QUERIES],
        "filters": [search(Criteria(**c), now).total for c in FILTER_QUERIES],
    }
    rows = [
        ("finder: keyword only", totals["keyword"], rotating([{"q": q} for q in KEYWORD_QUERIES], finder)),
        ("finder: keyword + city radius", totals["city"], rotating(CITY_QUERIES, finder)),
        ("finder: filters only", totals["filters"], rotating(FILTER_QUERIES, finder)),
    ]
    results = []
    for label, matches, run in rows:
        found = timed(run)
        results.append({"query": label, "results": f"{min(matches):,}-{max(matches):,}", **found})
        say(f"{vendor}: {label}: median {found['median']:.1f} ms, p95 {found['p95']:.1f} ms")
    waits = [catch_up() * 1000 for _ in range(WARM_UP + REPEAT)][WARM_UP:]
    results.append({"query": "snapshot catching up on one changed profile", "results": "1 row", **figures(waits)})
    print(
        json.dumps(
            {
                "database": vendor,
                "generated_s": generated,
                "indexed_s": built,
                "snapshot_s": snapshot_s,
                "profiles": indexed,
                "results": results,
            }
        )
    )


# --- In the parent: databases and the table -------------------------------------------------------


def main() -> None:
    if sys.argv[1:] == ["child"]:
        child()
        return
    pg_url, tmp = os.environ.get("BENCH_PG_URL"), os.environ.get("BENCH_TMP")
    if not tmp:
        raise SystemExit("set BENCH_TMP (a scratch folder) and BENCH_PG_URL (a PostgreSQL server of this run alone)")
    scratch = Path(tmp)
    runs = []
    databases = [db for db in os.environ.get("BENCH_FINDER_DATABASES", "sqlite,postgresql").split(",") if db]
    if "sqlite" in databases:
        sqlite_file = scratch / "bench-finder.sqlite3"
        sqlite_file.unlink(missing_ok=True)
        runs.append(run_child("bench.finder", f"sqlite:///{sqlite_file}", scratch))
        sqlite_file.unlink(missing_ok=True)
    if "postgresql" in databases:
        if not pg_url:
            raise SystemExit("set BENCH_PG_URL")
        try:
            runs.append(run_child("bench.finder", fresh_postgres(pg_url, DB_NAME), scratch))
        finally:
            drop_postgres(pg_url, DB_NAME)
    print(
        f"Partner finder, {PROFILES:,} generated profiles; {REPEAT} queries of each kind after {WARM_UP} to warm up, "
        "rotating over a few searches."
    )
    print("finder.search.search in-process (candidates, facets, ranking, the page) on the process's snapshot; no HTTP.")
    for run in runs:
        print(
            f"{run['database']}: generated in {run['generated_s']:.0f} s, indexed {run['profiles']:,} "
            f"in {run['indexed_s']:.0f} s, a process's snapshot built in {run['snapshot_s']:.1f} s"
        )
    print()
    header = ("database", "query", "results", "median ms", "p95 ms")
    rows = [
        (run["database"], r["query"], r["results"], f"{r['median']:.1f}", f"{r['p95']:.1f}")
        for run in runs
        for r in run["results"]
    ]
    print_table(header, rows)


if __name__ == "__main__":
    main()
