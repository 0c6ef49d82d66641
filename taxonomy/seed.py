"""The initial contents of the reference lists (loaded by a data migration)."""

from collections.abc import Callable
from typing import Any

INDUSTRIES = [
    ("manufacturing", "Manufacturing", "Производство"),
    ("retail", "Retail", "Розничная торговля"),
    ("finance", "Financial services", "Финансовые услуги"),
    ("healthcare", "Healthcare", "Здравоохранение"),
    ("education", "Education", "Образование"),
    ("government", "Government", "Государственный сектор"),
    ("professional-services", "Professional services", "Профессиональные услуги"),
    ("media", "Media and communications", "Медиа и коммуникации"),
    ("energy", "Energy and utilities", "Энергетика и ЖКХ"),
    ("transport", "Transport and logistics", "Транспорт и логистика"),
    ("hospitality", "Hospitality and travel", "Гостиничный бизнес и туризм"),
    ("nonprofit", "Nonprofit", "Некоммерческие организации"),
]

PRODUCTS = [
    ("cloud-platform", "Cloud platform", "Облачная платформа"),
    ("office-suite", "Office suite and email", "Офисный пакет и почта"),
    ("crm", "CRM", "CRM"),
    ("erp", "ERP", "ERP"),
    ("security", "Security", "Информационная безопасность"),
    ("analytics", "Data and analytics", "Данные и аналитика"),
    ("collaboration", "Collaboration and telephony", "Совместная работа и телефония"),
    ("devices", "Devices", "Устройства"),
    ("ai", "AI services", "Сервисы ИИ"),
]

SERVICE_TYPES = [
    ("consulting", "Consulting", "Консалтинг"),
    ("implementation", "Implementation", "Внедрение"),
    ("migration", "Migration", "Миграция"),
    ("managed-services", "Managed services", "Управляемые услуги"),
    ("training", "Training", "Обучение"),
    ("licensing", "Licensing", "Лицензирование"),
    ("custom-development", "Custom development", "Заказная разработка"),
    ("support", "Support", "Техническая поддержка"),
]

# (code, English, Russian, min employees, max employees)
COMPANY_SIZES = [
    ("1-9", "1-9 employees", "1-9 сотрудников", 1, 9),
    ("10-49", "10-49 employees", "10-49 сотрудников", 10, 49),
    ("50-249", "50-249 employees", "50-249 сотрудников", 50, 249),
    ("250-999", "250-999 employees", "250-999 сотрудников", 250, 999),
    ("1000-4999", "1000-4999 employees", "1000-4999 сотрудников", 1000, 4999),
    ("5000+", "5000+ employees", "5000+ сотрудников", 5000, None),
]

CURRENCIES = [
    ("USD", "US dollar"),
    ("EUR", "Euro"),
    ("GBP", "Pound sterling"),
    ("RUB", "Russian rouble"),
    ("KZT", "Kazakhstani tenge"),
    ("BYN", "Belarusian rouble"),
    ("UAH", "Ukrainian hryvnia"),
    ("PLN", "Polish zloty"),
    ("CHF", "Swiss franc"),
    ("SEK", "Swedish krona"),
    ("CNY", "Chinese yuan"),
    ("INR", "Indian rupee"),
    ("JPY", "Japanese yen"),
    ("CAD", "Canadian dollar"),
    ("AUD", "Australian dollar"),
    ("TRY", "Turkish lira"),
    ("AED", "UAE dirham"),
]

# (kind, code, English, Russian)
REASONS = [
    ("skip", "not-our-field", "Not our field", "Не наш профиль"),
    ("skip", "no-capacity", "No capacity", "Нет ресурсов"),
    ("skip", "region-not-served", "Region not served", "Не работаем в этом регионе"),
    ("skip", "spam", "Spam or fake", "Спам или подделка"),
    ("skip", "other", "Other", "Другое"),
    ("decline", "not-our-field", "Not our field", "Не наш профиль"),
    ("decline", "customer-too-small", "Customer too small", "Клиент слишком мал"),
    ("decline", "customer-too-large", "Customer too large", "Клиент слишком велик"),
    ("decline", "region-not-served", "Region not served", "Не работаем в этом регионе"),
    ("decline", "no-capacity", "No capacity", "Нет ресурсов"),
    ("decline", "spam", "Spam or fake", "Спам или подделка"),
    ("decline", "duplicate", "Duplicate", "Дубликат"),
    ("decline", "other", "Other", "Другое"),
    ("lose", "price", "Price", "Цена"),
    ("lose", "competitor", "Lost to a competitor", "Выбран конкурент"),
    ("lose", "no-decision", "No decision", "Решение не принято"),
    ("lose", "timing", "Timing", "Сроки"),
    ("lose", "requirements-not-met", "Requirements not met", "Требования не выполнены"),
    ("lose", "other", "Other", "Другое"),
]


def load(get_model: Callable[[str, str], Any]) -> None:
    """Create or refresh every list; `get_model` is apps.get_model in a migration, or the real one."""
    for model_name, rows in (("Industry", INDUSTRIES), ("Product", PRODUCTS), ("ServiceType", SERVICE_TYPES)):
        model = get_model("taxonomy", model_name)
        for sort, (code, en, ru) in enumerate(rows):
            model.objects.update_or_create(code=code, defaults={"name_en": en, "name_ru": ru, "sort": sort})
    size_model = get_model("taxonomy", "CompanySize")
    for sort, (code, en, ru, low, high) in enumerate(COMPANY_SIZES):
        size_model.objects.update_or_create(
            code=code,
            defaults={"name_en": en, "name_ru": ru, "sort": sort, "min_employees": low, "max_employees": high},
        )
    currency_model = get_model("taxonomy", "Currency")
    for code, name in CURRENCIES:
        currency_model.objects.update_or_create(code=code, defaults={"name": name})
    reason_model = get_model("taxonomy", "Reason")
    for sort, (kind, code, en, ru) in enumerate(REASONS):
        reason_model.objects.update_or_create(
            kind=kind, code=code, defaults={"name_en": en, "name_ru": ru, "sort": sort}
        )
