"""The fixed material of the demo: partners, cities, customers, needs. Pure data, no Django."""

from __future__ import annotations

from dataclasses import dataclass, field

# Published on purpose: every demo login shares it. Never a real deployment's password.
PASSWORD = "leadshare-demo"  # noqa: S105
PROGRAMME_ADMIN_EMAIL = "admin@leadshare.example"
AGENT_EMAIL = "agent@leadshare.example"
# The first partner's people, and an English-speaking partner's admin, under easy addresses.
PARTNER_ADMIN_EMAIL = "partner@leadshare.example"
PARTNER_USER_EMAIL = "user@leadshare.example"
PROFILE_ADMIN_EMAIL = "profile@leadshare.example"
PARTNER_ADMIN_EN_EMAIL = "partner.en@leadshare.example"

RU_SPEAKING = frozenset({"RU", "KZ"})

# City centre coordinates (latitude, longitude), by country.
CITIES: dict[str, dict[str, tuple[float, float]]] = {
    "RU": {
        "Москва": (55.7558, 37.6173),
        "Санкт-Петербург": (59.9343, 30.3351),
        "Новосибирск": (55.0084, 82.9357),
        "Екатеринбург": (56.8389, 60.6057),
        "Казань": (55.7887, 49.1221),
        "Нижний Новгород": (56.2965, 43.9361),
        "Самара": (53.1959, 50.1002),
        "Краснодар": (45.0355, 38.9753),
        "Ростов-на-Дону": (47.2357, 39.7015),
        "Пермь": (58.0105, 56.2502),
        "Воронеж": (51.6720, 39.1843),
        "Красноярск": (56.0153, 92.8932),
    },
    "KZ": {
        "Алматы": (43.2389, 76.8897),
        "Астана": (51.1694, 71.4491),
        "Шымкент": (42.3417, 69.5901),
        "Караганда": (49.8047, 73.1094),
    },
    "DE": {
        "Berlin": (52.5200, 13.4050),
        "Munich": (48.1351, 11.5820),
        "Hamburg": (53.5511, 9.9937),
        "Frankfurt am Main": (50.1109, 8.6821),
        "Cologne": (50.9375, 6.9603),
        "Stuttgart": (48.7758, 9.1829),
        "Düsseldorf": (51.2277, 6.7735),
        "Leipzig": (51.3397, 12.3731),
    },
    "GB": {
        "London": (51.5074, -0.1278),
        "Manchester": (53.4808, -2.2426),
        "Birmingham": (52.4862, -1.8904),
        "Leeds": (53.8008, -1.5491),
        "Bristol": (51.4545, -2.5879),
        "Edinburgh": (55.9533, -3.1883),
        "Glasgow": (55.8642, -4.2518),
    },
    "US": {
        "New York": (40.7128, -74.0060),
        "Boston": (42.3601, -71.0589),
        "Chicago": (41.8781, -87.6298),
        "San Francisco": (37.7749, -122.4194),
        "Los Angeles": (34.0522, -118.2437),
        "Seattle": (47.6062, -122.3321),
        "Austin": (30.2672, -97.7431),
        "Atlanta": (33.7490, -84.3880),
        "Denver": (39.7392, -104.9903),
    },
    "FR": {
        "Paris": (48.8566, 2.3522),
        "Lyon": (45.7640, 4.8357),
        "Marseille": (43.2965, 5.3698),
        "Toulouse": (43.6047, 1.4442),
        "Lille": (50.6292, 3.0573),
        "Nantes": (47.2184, -1.5536),
    },
    "PL": {
        "Warsaw": (52.2297, 21.0122),
        "Kraków": (50.0647, 19.9450),
        "Wrocław": (51.1079, 17.0385),
        "Gdańsk": (54.3520, 18.6466),
        "Poznań": (52.4064, 16.9252),
    },
    "NL": {
        "Amsterdam": (52.3676, 4.9041),
        "Rotterdam": (51.9244, 4.4777),
        "Utrecht": (52.0907, 5.1214),
        "The Hague": (52.0705, 4.3007),
        "Eindhoven": (51.4416, 5.4697),
    },
}

STREETS: dict[str, list[str]] = {
    "RU": ["ул. Ленина", "пр. Мира", "ул. Гагарина", "ул. Советская", "ул. Пушкина", "Октябрьский пр."],
    "KZ": ["пр. Абая", "ул. Толе би", "пр. Республики", "ул. Кунаева", "пр. Назарбаева"],
    "DE": ["Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Friedrichstraße", "Lindenallee"],
    "GB": ["High Street", "Station Road", "King Street", "Church Lane", "Victoria Road"],
    "US": ["Main Street", "Market Street", "Oak Avenue", "Park Avenue", "Lake Street"],
    "FR": ["rue de la République", "avenue Victor Hugo", "rue du Commerce", "boulevard Voltaire"],
    "PL": ["ul. Marszałkowska", "ul. Długa", "ul. Piękna", "al. Jerozolimskie", "ul. Mickiewicza"],
    "NL": ["Keizersgracht", "Stationsplein", "Kerkstraat", "Herengracht", "Dorpsstraat"],
}

CURRENCY = {"RU": "RUB", "KZ": "KZT", "DE": "EUR", "FR": "EUR", "NL": "EUR", "GB": "GBP", "US": "USD", "PL": "PLN"}
# A typical small deal in the country's currency; deals scale from here with the customer's size.
DEAL_UNIT = {"RUB": 400_000, "KZT": 2_500_000, "EUR": 6_000, "GBP": 5_000, "USD": 7_000, "PLN": 25_000}
LANGUAGES = {
    "RU": ["ru", "en"],
    "KZ": ["ru", "kk", "en"],
    "DE": ["de", "en"],
    "GB": ["en"],
    "US": ["en", "es"],
    "FR": ["fr", "en"],
    "PL": ["pl", "en"],
    "NL": ["nl", "en"],
}
TIME_ZONES = {
    "RU": "Europe/Moscow",
    "KZ": "Asia/Almaty",
    "DE": "Europe/Berlin",
    "GB": "Europe/London",
    "US": "America/New_York",
    "FR": "Europe/Paris",
    "PL": "Europe/Warsaw",
    "NL": "Europe/Amsterdam",
}

# Tags per product: (Russian keywords, English keywords, typical services).
FOCUS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "cloud-platform": (
        ["облачные решения", "перенос в облако", "резервное копирование в облако", "виртуальные серверы"],
        ["cloud migration", "cloud backup", "Azure landing zone", "virtual servers"],
        ["migration", "managed-services", "implementation"],
    ),
    "office-suite": (
        ["миграция почты", "корпоративная почта", "облачный офис", "совместная работа с документами"],
        ["email migration", "Microsoft 365", "Exchange Online", "document sharing"],
        ["migration", "licensing", "training"],
    ),
    "crm": (
        ["внедрение CRM", "автоматизация продаж", "CRM для B2B"],
        ["CRM implementation", "sales automation", "Dynamics 365 Sales"],
        ["implementation", "custom-development", "consulting"],
    ),
    "erp": (
        ["ERP для производства", "автоматизация учёта", "интеграция с 1С"],
        ["ERP for manufacturing", "finance automation", "Business Central"],
        ["implementation", "consulting", "support"],
    ),
    "security": (
        ["информационная безопасность", "защита от утечек", "аудит безопасности"],
        ["zero trust", "SIEM", "security audit", "GDPR compliance"],
        ["consulting", "managed-services", "support"],
    ),
    "analytics": (
        ["бизнес-аналитика", "хранилище данных", "отчётность Power BI"],
        ["Power BI dashboards", "data warehouse", "data platform"],
        ["implementation", "consulting", "custom-development"],
    ),
    "collaboration": (
        ["видеоконференции", "IP-телефония", "корпоративный портал"],
        ["Teams telephony", "video conferencing", "SharePoint intranet"],
        ["implementation", "training", "support"],
    ),
    "devices": (
        ["поставка ноутбуков", "управление устройствами"],
        ["device management", "managed desktop", "Windows Autopilot"],
        ["licensing", "managed-services", "support"],
    ),
    "ai": (
        ["чат-боты", "машинное обучение", "распознавание документов"],
        ["AI chatbots", "machine learning", "document AI", "Copilot rollout"],
        ["custom-development", "consulting", "implementation"],
    ),
}


@dataclass(frozen=True)
class PartnerSpec:
    name: str
    slug: str
    country: str
    # fast, normal, slow or absent: how quickly (and whether) its people answer referrals.
    pace: str
    focus: list[str]
    # One entry per business profile: (country, cities); the head office's country comes first.
    profiles: list[tuple[str, list[str]]]
    sizes: tuple[str, ...] = ("10-49", "50-249", "250-999")
    only_target_sizes: bool = False
    capacity: int | None = None
    paused: tuple[str, ...] = ()  # countries whose profile was paused three weeks ago
    team: bool = False  # has a referrals user and a profile admin besides its referrals admin
    crm: bool = False  # works its referrals through the API from its CRM
    verified: bool = True
    extra: dict[str, str] = field(default_factory=dict)


PARTNERS: list[PartnerSpec] = [
    PartnerSpec(
        "Облачные Системы",
        "oblachnye-sistemy",
        "RU",
        "fast",
        ["cloud-platform", "office-suite", "security"],
        [("RU", ["Москва", "Санкт-Петербург", "Казань"]), ("KZ", ["Алматы"])],
        sizes=("10-49", "50-249", "250-999", "1000-4999"),
        team=True,
    ),
    PartnerSpec(
        "Северный Код",
        "severny-kod",
        "RU",
        "normal",
        ["crm", "ai", "analytics"],
        [("RU", ["Санкт-Петербург", "Москва"])],
        sizes=("50-249", "250-999", "1000-4999"),
    ),
    PartnerSpec(
        "ИТ-Гарант",
        "it-garant",
        "RU",
        "slow",
        ["office-suite", "devices", "collaboration"],
        [("RU", ["Москва", "Новосибирск", "Воронеж", "Самара"])],
        sizes=("1-9", "10-49", "50-249"),
        crm=True,
    ),
    PartnerSpec(
        "Сибирские Цифровые Решения",
        "sibirskie-resheniya",
        "RU",
        "normal",
        ["erp", "analytics", "cloud-platform"],
        [("RU", ["Новосибирск", "Красноярск"])],
        capacity=8,
    ),
    PartnerSpec(
        "Уральский Интегратор",
        "uralsky-integrator",
        "RU",
        "fast",
        ["erp", "crm", "office-suite"],
        [("RU", ["Екатеринбург", "Пермь"]), ("KZ", ["Астана"])],
        sizes=("50-249", "250-999"),
        team=True,
    ),
    PartnerSpec(
        "Казанский ИТ-Центр",
        "kazansky-it-centr",
        "RU",
        "normal",
        ["office-suite", "collaboration", "security"],
        [("RU", ["Казань", "Нижний Новгород"])],
    ),
    PartnerSpec(
        "Волга Софт",
        "volga-soft",
        "RU",
        "absent",
        ["cloud-platform", "devices"],
        [("RU", ["Самара", "Нижний Новгород"])],
        sizes=("1-9", "10-49"),
        verified=False,
    ),
    PartnerSpec(
        "Южный Бизнес-Софт",
        "yuzhny-biznes-soft",
        "RU",
        "slow",
        ["crm", "erp", "office-suite"],
        [("RU", ["Краснодар", "Ростов-на-Дону"])],
        sizes=("1-9", "10-49", "50-249"),
        paused=("RU",),
    ),
    PartnerSpec(
        "Безопасная Среда",
        "bezopasnaya-sreda",
        "RU",
        "fast",
        ["security", "cloud-platform"],
        [("RU", ["Москва", "Санкт-Петербург", "Екатеринбург"])],
        sizes=("250-999", "1000-4999", "5000+"),
        only_target_sizes=True,
    ),
    PartnerSpec(
        "Аналитика и Данные",
        "analitika-i-dannye",
        "RU",
        "normal",
        ["analytics", "ai"],
        [("RU", ["Москва", "Воронеж"])],
        sizes=("50-249", "250-999", "1000-4999"),
        capacity=6,
    ),
    PartnerSpec(
        "Степь Диджитал",
        "step-digital",
        "KZ",
        "normal",
        ["office-suite", "cloud-platform", "collaboration"],
        [("KZ", ["Алматы", "Астана", "Шымкент"])],
    ),
    PartnerSpec(
        "Астана Клауд Сервис",
        "astana-cloud-service",
        "KZ",
        "slow",
        ["cloud-platform", "security"],
        [("KZ", ["Астана", "Караганда"])],
        sizes=("50-249", "250-999", "1000-4999"),
    ),
    PartnerSpec(
        "Алатау Интегратор",
        "alatau-integrator",
        "KZ",
        "fast",
        ["erp", "crm", "analytics"],
        [("KZ", ["Алматы", "Шымкент"]), ("RU", ["Москва"])],
        team=True,
    ),
    PartnerSpec(
        "Nordlicht IT GmbH",
        "nordlicht-it",
        "DE",
        "fast",
        ["office-suite", "cloud-platform", "collaboration"],
        [("DE", ["Hamburg", "Berlin"]), ("NL", ["Amsterdam"])],
        team=True,
    ),
    PartnerSpec(
        "Bergwerk Cloud Solutions GmbH",
        "bergwerk-cloud",
        "DE",
        "normal",
        ["cloud-platform", "security", "devices"],
        [("DE", ["Munich", "Stuttgart"])],
        sizes=("250-999", "1000-4999", "5000+"),
        only_target_sizes=True,
    ),
    PartnerSpec(
        "Rheinland Data Services GmbH",
        "rheinland-data",
        "DE",
        "slow",
        ["analytics", "erp", "ai"],
        [("DE", ["Cologne", "Düsseldorf", "Frankfurt am Main"]), ("FR", ["Lille"])],
        crm=True,
    ),
    PartnerSpec(
        "Spreeblick Consulting GmbH",
        "spreeblick",
        "DE",
        "normal",
        ["crm", "office-suite"],
        [("DE", ["Berlin", "Leipzig"])],
        sizes=("1-9", "10-49", "50-249"),
        capacity=5,
    ),
    PartnerSpec(
        "Thames Cloud Partners Ltd",
        "thames-cloud",
        "GB",
        "fast",
        ["cloud-platform", "office-suite", "security"],
        [("GB", ["London", "Birmingham"]), ("US", ["New York"])],
        sizes=("50-249", "250-999", "1000-4999"),
    ),
    PartnerSpec(
        "Pennine Digital Ltd",
        "pennine-digital",
        "GB",
        "normal",
        ["crm", "collaboration", "devices"],
        [("GB", ["Manchester", "Leeds"])],
    ),
    PartnerSpec(
        "Caledonia Systems Ltd",
        "caledonia-systems",
        "GB",
        "absent",
        ["erp", "analytics"],
        [("GB", ["Edinburgh", "Glasgow"])],
        verified=False,
    ),
    PartnerSpec(
        "Severn Data Ltd",
        "severn-data",
        "GB",
        "slow",
        ["analytics", "ai", "cloud-platform"],
        [("GB", ["Bristol", "Birmingham", "London"])],
        paused=("GB",),
    ),
    PartnerSpec(
        "Harbor Bay Technologies Inc.",
        "harbor-bay",
        "US",
        "fast",
        ["ai", "analytics", "cloud-platform"],
        [("US", ["San Francisco", "Seattle", "Los Angeles"]), ("GB", ["London"])],
        sizes=("250-999", "1000-4999", "5000+"),
        crm=True,
    ),
    PartnerSpec(
        "Lakeshore IT Group",
        "lakeshore-it",
        "US",
        "normal",
        ["office-suite", "devices", "collaboration"],
        [("US", ["Chicago", "Denver"])],
        sizes=("1-9", "10-49", "50-249"),
    ),
    PartnerSpec(
        "Empire Cloud Consulting LLC",
        "empire-cloud",
        "US",
        "normal",
        ["cloud-platform", "security", "crm"],
        [("US", ["New York", "Boston", "Atlanta"])],
        team=True,
    ),
    PartnerSpec(
        "Lone Star Managed Services",
        "lone-star-ms",
        "US",
        "slow",
        ["devices", "cloud-platform", "office-suite"],
        [("US", ["Austin", "Atlanta", "Denver", "Chicago", "Los Angeles"])],
        capacity=10,
    ),
    PartnerSpec(
        "Lumière Numérique SAS",
        "lumiere-numerique",
        "FR",
        "normal",
        ["office-suite", "collaboration", "crm"],
        [("FR", ["Paris", "Lille", "Nantes"])],
    ),
    PartnerSpec(
        "Rhône Cloud Conseil",
        "rhone-cloud",
        "FR",
        "fast",
        ["cloud-platform", "security", "analytics"],
        [("FR", ["Lyon", "Marseille", "Toulouse"])],
        sizes=("50-249", "250-999", "1000-4999"),
    ),
    PartnerSpec(
        "Vistula Cloud Sp. z o.o.",
        "vistula-cloud",
        "PL",
        "normal",
        ["cloud-platform", "office-suite", "erp"],
        [("PL", ["Warsaw", "Kraków", "Wrocław"])],
    ),
    PartnerSpec(
        "Baltic Code Sp. z o.o.",
        "baltic-code",
        "PL",
        "slow",
        ["ai", "crm", "analytics"],
        [("PL", ["Gdańsk", "Poznań"]), ("DE", ["Berlin"])],
        sizes=("10-49", "50-249", "250-999"),
        paused=("DE",),
    ),
    PartnerSpec(
        "Polder Data B.V.",
        "polder-data",
        "NL",
        "fast",
        ["analytics", "cloud-platform", "ai"],
        [("NL", ["Amsterdam", "Utrecht"])],
    ),
    PartnerSpec(
        "Maas Digital B.V.",
        "maas-digital",
        "NL",
        "normal",
        ["office-suite", "devices", "security"],
        [("NL", ["Rotterdam", "The Hague", "Eindhoven"])],
        sizes=("1-9", "10-49", "50-249"),
        crm=True,
    ),
]

# An English-speaking partner whose admin gets an easy login too.
ENGLISH_PARTNER = "Nordlicht IT GmbH"

# How each pace answers: first answer delay (median hours, spread), evaluation delay (median hours,
# spread), and the chance of not answering at all in each timed state.
PACES: dict[str, tuple[float, float, float, float, float, float]] = {
    # answer median h, answer sigma, evaluate median h, evaluate sigma, P(no answer), P(no decision)
    "fast": (2.0, 0.9, 20.0, 0.8, 0.02, 0.03),
    "normal": (9.0, 0.9, 60.0, 0.7, 0.08, 0.10),
    "slow": (30.0, 0.6, 110.0, 0.5, 0.25, 0.20),
    "absent": (50.0, 0.4, 140.0, 0.4, 0.70, 0.45),
}

# Customers: company names from words, so every country gets a pool with a Latin handle for e-mail.
RU_COMPANY_WORDS = (
    [
        ("Северный", "severny"),
        ("Восточный", "vostochny"),
        ("Первый", "pervy"),
        ("Городской", "gorodskoy"),
        ("Региональный", "regionalny"),
        ("Сибирский", "sibirsky"),
        ("Центральный", "centralny"),
        ("Новый", "novy"),
    ],
    [
        ("Агрохолдинг", "agro"),
        ("Металлопрокат", "metall"),
        ("Торговый дом", "td"),
        ("Логистический центр", "logistic"),
        ("Медицинский центр", "med"),
        ("Стройтрест", "stroy"),
        ("Фармсклад", "pharm"),
        ("Хлебозавод", "hleb"),
        ("Проектный институт", "proekt"),
        ("Мебельный комбинат", "mebel"),
    ],
)
KZ_COMPANY_WORDS = (
    [("Алтын", "altyn"), ("Жулдыз", "zhuldyz"), ("Казах", "kazakh"), ("Степной", "stepnoy"), ("Тенгри", "tengri")],
    [
        ("Агро", "agro"),
        ("Транс", "trans"),
        ("Строй", "stroy"),
        ("Фарм", "pharm"),
        ("Энерго", "energo"),
        ("Трейд", "trade"),
    ],
)
EN_COMPANY_WORDS = (
    [
        "Northwind",
        "Blue Harbor",
        "Redwood",
        "Silverline",
        "Oakfield",
        "Brightpath",
        "Granite",
        "Evergreen",
        "Fairway",
        "Summit",
        "Riverside",
        "Kestrel",
    ],
    [
        "Logistics",
        "Manufacturing",
        "Health",
        "Retail",
        "Foods",
        "Insurance",
        "Engineering",
        "Media",
        "Energy",
        "Architects",
        "Hotels",
        "Legal",
    ],
)
COMPANY_SUFFIX = {"DE": "GmbH", "GB": "Ltd", "US": "Inc.", "FR": "SAS", "PL": "Sp. z o.o.", "NL": "B.V."}
EMAIL_TLD = {"RU": "ru", "KZ": "kz", "DE": "de", "GB": "co.uk", "US": "com", "FR": "fr", "PL": "pl", "NL": "nl"}

# Customer contact people: (full name, e-mail handle).
PEOPLE: dict[str, list[tuple[str, str]]] = {
    "RU": [
        ("Анна Смирнова", "a.smirnova"),
        ("Дмитрий Козлов", "d.kozlov"),
        ("Елена Волкова", "e.volkova"),
        ("Сергей Морозов", "s.morozov"),
        ("Ольга Новикова", "o.novikova"),
        ("Алексей Павлов", "a.pavlov"),
        ("Мария Фёдорова", "m.fedorova"),
        ("Игорь Соколов", "i.sokolov"),
        ("Татьяна Лебедева", "t.lebedeva"),
        ("Николай Егоров", "n.egorov"),
        ("Наталья Кузнецова", "n.kuznetsova"),
        ("Павел Орлов", "p.orlov"),
    ],
    "KZ": [
        ("Айгерим Сарсенова", "a.sarsenova"),
        ("Нурлан Абдрахманов", "n.abdrakhmanov"),
        ("Динара Жумабаева", "d.zhumabaeva"),
        ("Ерлан Касымов", "e.kasymov"),
        ("Асель Нурпеисова", "a.nurpeisova"),
        ("Тимур Ахметов", "t.akhmetov"),
    ],
    "DE": [
        ("Anna Schmidt", "anna.schmidt"),
        ("Lukas Müller", "lukas.mueller"),
        ("Julia Weber", "julia.weber"),
        ("Felix Wagner", "felix.wagner"),
        ("Sophie Becker", "sophie.becker"),
        ("Jonas Hoffmann", "jonas.hoffmann"),
    ],
    "GB": [
        ("Oliver Smith", "oliver.smith"),
        ("Emily Jones", "emily.jones"),
        ("Harry Taylor", "harry.taylor"),
        ("Charlotte Brown", "charlotte.brown"),
        ("George Wilson", "george.wilson"),
        ("Amelia Evans", "amelia.evans"),
    ],
    "US": [
        ("Michael Johnson", "michael.johnson"),
        ("Jessica Williams", "jessica.williams"),
        ("David Miller", "david.miller"),
        ("Ashley Davis", "ashley.davis"),
        ("Chris Garcia", "chris.garcia"),
        ("Sarah Martinez", "sarah.martinez"),
    ],
    "FR": [
        ("Camille Martin", "camille.martin"),
        ("Lucas Bernard", "lucas.bernard"),
        ("Léa Dubois", "lea.dubois"),
        ("Hugo Moreau", "hugo.moreau"),
        ("Chloé Laurent", "chloe.laurent"),
    ],
    "PL": [
        ("Anna Kowalska", "anna.kowalska"),
        ("Piotr Nowak", "piotr.nowak"),
        ("Katarzyna Wiśniewska", "k.wisniewska"),
        ("Tomasz Wójcik", "tomasz.wojcik"),
        ("Magdalena Lewandowska", "m.lewandowska"),
    ],
    "NL": [
        ("Sanne de Vries", "sanne.devries"),
        ("Daan Jansen", "daan.jansen"),
        ("Emma van Dijk", "emma.vandijk"),
        ("Bram Bakker", "bram.bakker"),
        ("Lotte Visser", "lotte.visser"),
    ],
}

# The people who answer for each partner: (Russian name, English name) pairs for users and contacts.
STAFF_RU = [("Ирина", "Белова"), ("Максим", "Громов"), ("Светлана", "Крылова"), ("Андрей", "Зайцев")]
STAFF_EN = [("Laura", "Fischer"), ("James", "Carter"), ("Nina", "Kovacs"), ("Tom", "Reed")]

# Customer needs: (products, services, Russian text, English text). {n} is a number of people.
NEEDS: list[tuple[list[str], list[str], str, str]] = [
    (
        ["office-suite"],
        ["migration"],
        "Перенести {n} почтовых ящиков с локального Exchange в облако без простоя.",
        "Move {n} mailboxes from on-premises Exchange to the cloud without downtime.",
    ),
    (
        ["cloud-platform"],
        ["migration", "managed-services"],
        "Перенести файловый сервер и 1С в облако, настроить резервное копирование.",
        "Move our file server and line-of-business apps to the cloud, with backup.",
    ),
    (
        ["crm"],
        ["implementation"],
        "Внедрить CRM для отдела продаж на {n} пользователей, интеграция с телефонией.",
        "Roll out a CRM for a sales team of {n}, integrated with our phones.",
    ),
    (
        ["erp"],
        ["implementation", "consulting"],
        "Заменить устаревшую учётную систему на производстве, нужен план внедрения ERP.",
        "Replace our ageing accounting system on the shop floor; we need an ERP rollout plan.",
    ),
    (
        ["security"],
        ["consulting"],
        "Провести аудит информационной безопасности и настроить защиту от утечек данных.",
        "Security audit and data-loss prevention ahead of an ISO 27001 certification.",
    ),
    (
        ["analytics"],
        ["implementation"],
        "Собрать отчётность по продажам в одной панели: источники 1С и Excel.",
        "Sales dashboards from our ERP and spreadsheets in one place.",
    ),
    (
        ["collaboration"],
        ["implementation", "training"],
        "Перевести офисную телефонию в облако и оборудовать переговорные для видеосвязи.",
        "Move office telephony to the cloud and equip our meeting rooms for video calls.",
    ),
    (
        ["devices"],
        ["managed-services"],
        "Закупить и настроить {n} ноутбуков, управлять ими удалённо.",
        "Buy and set up {n} laptops and manage them remotely.",
    ),
    (
        ["ai"],
        ["custom-development"],
        "Чат-бот для ответов клиентам на сайте и в мессенджерах.",
        "A customer-service chatbot for our website and messaging apps.",
    ),
    (
        ["cloud-platform", "security"],
        ["managed-services", "support"],
        "Ищем подрядчика на поддержку облачной инфраструктуры 24/7.",
        "Looking for 24/7 managed support of our cloud infrastructure.",
    ),
    (
        ["office-suite", "collaboration"],
        ["training"],
        "Обучить {n} сотрудников работе в облачном офисе и видеоконференциях.",
        "Train {n} staff on the new office suite and online meetings.",
    ),
    (
        ["office-suite"],
        ["licensing"],
        "Подобрать и закупить лицензии офисного пакета для {n} сотрудников.",
        "Licensing advice and purchase of the office suite for {n} users.",
    ),
    (
        ["analytics", "ai"],
        ["consulting", "custom-development"],
        "Прогноз спроса по данным продаж за три года, нужна пилотная модель.",
        "Demand forecasting from three years of sales data; we want a pilot model.",
    ),
]

TIMELINES_RU = ["в течение месяца", "в этом квартале", "до конца года", "срочно", ""]
TIMELINES_EN = ["within a month", "this quarter", "by the end of the year", "as soon as possible", ""]

CAMPAIGNS: dict[str, list[str]] = {
    "RU": ["yandex-direct-cloud-migration", "vk-ads-office-smb"],
    "KZ": ["yandex-direct-cloud-migration"],
    "other": ["google-ads-email-migration", "linkedin-security-webinar", "google-ads-crm-eu"],
}

SKIP_REASONS = ["not-our-field", "no-capacity", "region-not-served", "spam", "other", ""]
SKIP_WEIGHTS = [40, 20, 15, 5, 5, 15]
DECLINE_REASONS = [
    "not-our-field",
    "customer-too-small",
    "customer-too-large",
    "region-not-served",
    "no-capacity",
    "spam",
    "duplicate",
    "other",
]
DECLINE_WEIGHTS = [25, 20, 8, 10, 15, 5, 7, 10]
LOSE_REASONS = ["price", "competitor", "no-decision", "timing", "requirements-not-met", "other"]
LOSE_WEIGHTS = [30, 30, 20, 10, 6, 4]

DECLINE_COMMENTS_RU = {
    "customer-too-small": "Проект на пару дней, нам невыгодно.",
    "other": "Клиент уже работает с нами.",
}
DECLINE_COMMENTS_EN = {"customer-too-small": "A two-day job; not worth it for us.", "other": "Already our customer."}
NOTES_RU = ["Созвонились, готовим КП.", "Назначена встреча с ИТ-директором.", "Отправили оценку, ждём ответа."]
NOTES_EN = ["Call held, preparing a proposal.", "Meeting with their IT lead booked.", "Estimate sent, awaiting reply."]
