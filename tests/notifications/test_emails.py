"""What arrives at a real SMTP server: headers, both parts, the recipient's language, and no customer data
in anything that goes to a partner."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from notifications import emails, outbox
from notifications.delivery import deliver_due
from notifications.models import OutboxMessage
from partners.models import ProfileContact
from referrals import services, timers
from referrals.actors import ActorRef
from referrals.models import Referral
from tests import factories
from tests.calendar_words import en_date, ru_date
from tests.factories import NOW
from tests.smtp import html, subject, text

H = timedelta(hours=1)
SITE = "https://leadshare.example"
FROM = "Leadshare <noreply@leadshare.example>"
pytestmark = pytest.mark.django_db

# The customer as tests.factories creates them: none of it may reach a partner by e-mail.
CUSTOMER_DATA = ["Anna Schmidt", "anna@contoso.example", "+49 30 1234567", "Contoso GmbH", "Alexanderplatz 1"]
CUSTOMER_FRAGMENTS = ["anna", "schmidt", "contoso", "1234567", "alexanderplatz"]
MISSED_AT = NOW + 72 * H  # the referral's deadline, as each language writes it
MISSED_AT_EN = f"{en_date(MISSED_AT)}, 09:00 UTC"
MISSED_AT_RU = f"{ru_date(MISSED_AT)}, 09:00 UTC"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_ROOT = SITE
    settings.SITE_NAME = "Leadshare"
    settings.DEFAULT_FROM_EMAIL = FROM
    settings.EMAIL_MESSAGE_ID_DOMAIN = "leadshare.example"


def row_for(template, to):
    return OutboxMessage.objects.get(template=template, to_address=to)


def test_it_sends_the_new_referral_alert_in_english_to_an_english_contact(smtp_server):
    prof = factories.profile(contacts=("alerts@nordlicht.example",), contact_language="en")
    referral = factories.referral(prof)
    assert deliver_due(NOW) == 1
    [message] = smtp_server.messages
    row = row_for("referral_new", "alerts@nordlicht.example")
    assert (subject(message), message["From"], message["To"]) == (
        "New referral: 50-249 employees, Berlin",
        FROM,
        "alerts@nordlicht.example",
    )
    assert (message["Message-ID"], message["Auto-Submitted"]) == (row.message_id, "auto-generated")
    assert row.message_id == f"<outbox-{row.pk}-{int(NOW.timestamp())}@leadshare.example>"
    assert [(e.mail_from, e.rcpt_tos) for e in smtp_server.envelopes] == [
        ("noreply@leadshare.example", ["alerts@nordlicht.example"])
    ]
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert text(message) == (
        "A customer would like your help.\n\n"
        "Need: Move 200 mailboxes to the cloud\n"
        "Company size: 50-249 employees\n"
        "Industry: Manufacturing\n"
        "Region: Berlin, Germany\n"
        "Products: Office suite and email\n\n"
        f"Please answer within 24 hours; the referral is missed if nobody answers by {MISSED_AT_EN}.\n"
        f"Open it: {SITE}/referrals/{referral.pk}/\n\n"
    )
    assert f'<a href="{SITE}/referrals/{referral.pk}/">Open the referral</a>' in html(message)
    assert "<h2>A customer would like your help</h2>" in html(message)


def test_it_sends_the_alert_in_russian_to_a_russian_contact(smtp_server):
    prof = factories.profile(contacts=("alerts@sever.example",), contact_language="ru")
    referral = factories.referral(prof)
    assert deliver_due(NOW) == 1
    [message] = smtp_server.messages
    assert (subject(message), message["From"], message["To"]) == (
        "Новая рекомендация: 50-249 сотрудников, Берлин",
        FROM,
        "alerts@sever.example",
    )
    assert message["Message-ID"] == row_for("referral_new", "alerts@sever.example").message_id
    assert text(message) == (
        "Клиенту нужна ваша помощь.\n\n"
        "Потребность: Move 200 mailboxes to the cloud\n"
        "Размер компании: 50-249 сотрудников\n"
        "Отрасль: Производство\n"
        "Регион: Берлин, Германия\n"
        "Продукты: Офисный пакет и почта\n\n"
        f"Ответьте, пожалуйста, в течение 24 часов; без ответа до {MISSED_AT_RU} рекомендация будет пропущена.\n"
        f"Открыть: {SITE}/referrals/{referral.pk}/\n\n"
    )
    assert f'<a href="{SITE}/referrals/{referral.pk}/">Открыть рекомендацию</a>' in html(message)


def _new(referral, user):
    return NOW


def _unanswered(referral, user):
    timers.sweep(NOW + 24 * H)
    return NOW + 24 * H


def _deadline_soon_while_new(referral, user):
    timers.sweep(NOW + 60 * H)
    return NOW + 60 * H


def _deadline_soon_while_evaluating(referral, user):
    # Evaluating is the state in which the partner may see the customer's contacts, on the site only.
    services.mark_interested(referral.pk, ActorRef.person(user), NOW + H)
    at = NOW + H + 7 * 24 * H - 12 * H
    timers.sweep(at)
    return at


@pytest.mark.parametrize(
    ("stage", "template", "subject_en", "subject_ru"),
    [
        (
            _new,
            "referral_new",
            "New referral: 50-249 employees, Berlin",
            "Новая рекомендация: 50-249 сотрудников, Берлин",
        ),
        (
            _unanswered,
            "referral_unanswered",
            "Waiting for your answer: 50-249 employees, Berlin",
            "Ждём вашего ответа: 50-249 сотрудников, Берлин",
        ),
        (
            _deadline_soon_while_new,
            "referral_deadline_soon",
            "Deadline soon: 50-249 employees, Berlin",
            "Срок скоро истекает: 50-249 сотрудников, Берлин",
        ),
        (
            _deadline_soon_while_evaluating,
            "referral_deadline_soon",
            "Deadline soon: 50-249 employees, Berlin",
            "Срок скоро истекает: 50-249 сотрудников, Берлин",
        ),
    ],
    ids=["new", "unanswered", "deadline-soon-while-new", "deadline-soon-while-evaluating"],
)
def test_partner_alerts_and_reminders_carry_no_customer_contact_data(
    smtp_server, stage, template, subject_en, subject_ru
):
    prof = factories.profile(contacts=("en@nordlicht.example",), contact_language="en")
    ProfileContact.objects.create(profile=prof, name="Vertrieb", email="ru@nordlicht.example", language="ru")
    user = factories.user(prof.partner)
    referral = factories.referral(prof)
    assert deliver_due(NOW) == 2
    if template != "referral_new":
        smtp_server.messages.clear()
    at = stage(referral, user)
    assert deliver_due(at) == (0 if template == "referral_new" else 2)
    received = sorted(smtp_server.messages, key=lambda m: m["To"])
    assert [(m["To"], subject(m), m["Message-ID"]) for m in received] == [
        ("en@nordlicht.example", subject_en, row_for(template, "en@nordlicht.example").message_id),
        ("ru@nordlicht.example", subject_ru, row_for(template, "ru@nordlicht.example").message_id),
    ]
    for message in received:
        headers = "\n".join(f"{name}: {value}" for name, value in message.items())
        everything = "\n".join([headers, text(message), html(message)])
        assert [d for d in CUSTOMER_DATA if d in everything] == []
        assert [f for f in CUSTOMER_FRAGMENTS if f in everything.lower()] == []
        assert f"{SITE}/referrals/{referral.pk}/" in text(message)
        assert f'href="{SITE}/referrals/{referral.pk}/"' in html(message)


def _skip(referral, user):
    services.skip(referral.pk, ActorRef.person(user), NOW + H, reason="no-capacity")
    return NOW + H


def _decline(referral, user):
    services.mark_interested(referral.pk, ActorRef.person(user), NOW + H)
    services.decline(referral.pk, ActorRef.person(user), NOW + 2 * H, reason="region-not-served")
    return NOW + 2 * H


def _miss(referral, user):
    timers.sweep(NOW + 72 * H)
    return NOW + 72 * H


def _expire(referral, user):
    services.mark_interested(referral.pk, ActorRef.person(user), NOW + H)
    timers.sweep(NOW + H + 7 * 24 * H)
    return NOW + H + 7 * 24 * H


CUSTOMER_NOTE = {
    "en": (
        "Nordlicht IT will not follow up on your request",
        "Hello,\n\n"
        "Nordlicht IT will not follow up on the request from Contoso GmbH. Other partners may still answer.\n\n"
        "These partners also fit your request (we left out the ones you already asked): {url}\n\n",
        '<a href="{url}">See other partners who fit your request</a>',
    ),
    "ru": (
        "Nordlicht IT не свяжется с вами по вашему запросу",
        "Здравствуйте!\n\n"
        "Nordlicht IT не будет работать с запросом компании Contoso GmbH. Другие партнёры ещё могут ответить.\n\n"
        "Эти партнёры тоже подходят для вашего запроса (тех, к кому вы уже обращались, мы не показываем): {url}\n\n",
        '<a href="{url}">Посмотреть других подходящих партнёров</a>',
    ),
}


@pytest.mark.parametrize(
    ("end", "state", "language"),
    [
        (_skip, "skipped", "en"),
        (_skip, "skipped", "ru"),
        (_decline, "declined", "ru"),
        (_miss, "missed", "ru"),
        (_miss, "missed", "en"),
        (_expire, "expired", "en"),
    ],
    ids=["skipped-en", "skipped-ru", "declined-ru", "missed-ru", "missed-en", "expired-en"],
)
def test_the_customer_is_told_in_the_engagements_language_when_the_partner_will_not_follow_up(
    smtp_server, end, state, language
):
    # The partner's contact reads Russian when the customer reads English and the other way round,
    # so the note's language can only have come from the engagement.
    partner_language = "en" if language == "ru" else "ru"
    prof = factories.profile(factories.partner("Nordlicht IT"), contact_language=partner_language)
    user = factories.user(prof.partner)
    referral = factories.referral(prof, language=language)
    at = end(referral, user)
    assert Referral.objects.get(pk=referral.pk).state == state
    deliver_due(at)
    [note] = smtp_server.to("anna@contoso.example")
    title, body, link = CUSTOMER_NOTE[language]
    url = f"{SITE}/partners/?request={referral.engagement.public_token}"
    assert (subject(note), note["From"], note["Message-ID"]) == (
        title,
        FROM,
        row_for("customer_partner_declined", "anna@contoso.example").message_id,
    )
    assert text(note) == body.format(url=url)
    assert link.format(url=url) in html(note)
    assert row_for("customer_partner_declined", "anna@contoso.example").language == language


def test_a_referral_the_partner_takes_up_and_wins_sends_the_customer_nothing(smtp_server):
    prof = factories.profile(factories.partner("Nordlicht IT"))
    user = factories.user(prof.partner)
    referral = factories.referral(prof)
    actor = ActorRef.person(user)
    services.mark_interested(referral.pk, actor, NOW + H)
    services.accept(referral.pk, actor, NOW + 2 * H, "9000", "EUR", (NOW + 30 * 24 * H).date())
    services.win(referral.pk, actor, NOW + 3 * H)
    timers.sweep(NOW + 30 * 24 * H)
    assert deliver_due(NOW + 30 * 24 * H) == 1
    assert [m["To"] for m in smtp_server.messages] == ["alerts@partner.example"]
    assert OutboxMessage.objects.filter(template="customer_partner_declined").count() == 0


NOTE_ALTERNATIVES = {
    "en": ("These partners fit your request too.", '">Send my request to {name}</a> (Berlin)</li>'),
    "ru": ("Вашему запросу подходят и эти партнёры.", '">Отправить запрос партнёру {name}</a> (Берлин)</li>'),
}
BERLIN = {"en": "Berlin", "ru": "Берлин"}  # the partners' city, in the note's language


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_customers_note_names_three_partners_not_yet_asked_each_with_its_link(smtp_server, language):
    asked = factories.profile(factories.partner("Nordlicht IT"))
    others = ["Alpha Cloud", "Bravo Systems", "Cirrus IT", "Delta Mail"]
    for name in others:
        factories.profile(factories.partner(name))
    user = factories.user(asked.partner)
    referral = factories.referral(asked, language=language)
    at = _skip(referral, user)
    deliver_due(at)
    [note] = smtp_server.to("anna@contoso.example")

    token = referral.engagement.public_token
    city = BERLIN[language]
    listed = re.findall(rf"^- (.+) \({city}\): ({SITE}/partners/requests/{token}/add/\S+/)$", text(note), re.M)
    intro, line = NOTE_ALTERNATIVES[language]
    assert len(listed) == 3
    assert {name for name, _ in listed} < set(others)
    assert len({url for _, url in listed}) == 3
    assert intro in text(note) and intro in html(note)
    for name, url in listed:
        assert f'<a href="{url}' + line.format(name=name) in html(note)
    assert f"Nordlicht IT ({city})" not in text(note)


# --- What goes on the wire: 7-bit only, one-click unsubscribe, the recipient's time zone and words --------------


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_body_goes_as_quoted_printable_with_no_raw_8_bit_and_no_8bitmime(smtp_server, language):
    factories.referral(factories.profile(contacts=("alerts@sever.example",), contact_language=language))
    assert deliver_due(NOW) == 1
    [envelope], [message] = smtp_server.envelopes, smtp_server.messages
    assert [o for o in envelope.mail_options if o.upper().startswith("BODY=")] == []  # no BODY=8BITMIME asked
    assert [b for b in envelope.raw if b > 127] == []
    assert [p["Content-Transfer-Encoding"] for p in message.iter_parts()] == ["quoted-printable"] * 2
    assert ("Регион: Берлин, Германия" if language == "ru" else "Region: Berlin, Germany") in text(message)


def unsubscribe_link(message):
    # A long header is folded right after its name; mail programs drop the folding space, as tests.smtp.subject.
    [url] = re.fullmatch(r"<(\S+)>", message["List-Unsubscribe"].strip()).groups()
    return url


@pytest.mark.parametrize(("stage", "template"), [(_new, "referral_new"), (_unanswered, "referral_unanswered"),
                                                 (_deadline_soon_while_new, "referral_deadline_soon")])  # fmt: skip
def test_partner_alerts_and_reminders_offer_one_click_unsubscribe(smtp_server, stage, template):
    prof = factories.profile(contacts=("alerts@nordlicht.example",))
    referral = factories.referral(prof)
    at = stage(referral, None)
    OutboxMessage.objects.exclude(template=template).delete()
    assert deliver_due(at) == 1
    [message] = smtp_server.messages
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_link(message).startswith(f"{SITE}/settings/unsubscribe/")


def test_e_mails_to_customers_and_invitations_have_no_unsubscribe_link(smtp_server):
    prof = factories.profile(factories.partner("Nordlicht IT"))
    referral = factories.referral(prof)
    services.skip(referral.pk, ActorRef.person(factories.user(prof.partner)), NOW + H, reason="no-capacity")
    OutboxMessage.objects.filter(template="referral_new").delete()
    assert deliver_due(NOW + H) == 1
    [note] = smtp_server.messages
    assert (note["To"], note["List-Unsubscribe"], note["List-Unsubscribe-Post"]) == ("anna@contoso.example", None, None)


def test_the_deadline_is_shown_in_the_time_zone_of_the_user_who_gets_the_alert(smtp_server):
    prof = factories.profile(contacts=("tokyo@nordlicht.example", "inbox@nordlicht.example"))
    factories.user(prof.partner, email="tokyo@nordlicht.example", time_zone="Asia/Tokyo")
    factories.referral(prof)
    assert deliver_due(NOW) == 2
    in_tokyo = MISSED_AT + 9 * H  # Japan keeps no summer time
    assert f"nobody answers by {en_date(in_tokyo)}, {in_tokyo:%H}:00 JST." in text(
        smtp_server.to("tokyo@nordlicht.example")[0]
    )
    assert f"nobody answers by {MISSED_AT_EN}." in text(smtp_server.to("inbox@nordlicht.example")[0])


@pytest.mark.parametrize(
    ("days", "english", "russian"),
    [
        (1, "works once and for 1\xa0day.", "действует 1\xa0день."),
        (2, "works once and for 2\xa0days.", "действует 2\xa0дня."),
        (5, "works once and for 5\xa0days.", "действует 5\xa0дней."),
    ],
)
def test_a_password_link_says_how_long_it_works_with_the_plural_of_its_days(settings, days, english, russian):
    settings.PASSWORD_RESET_TIMEOUT = days * 24 * 3600
    user = factories.user(email="anna@partner.example")
    texts = {
        language: emails.render(outbox.email(outbox.PASSWORD_RESET, user.email, language, NOW, user_id=user.pk)).text
        for language in ("en", "ru")
    }
    assert english in texts["en"] and russian in texts["ru"]


@pytest.mark.parametrize(
    ("n", "russian"),
    [
        (1, "Ваш запрос отправлен 1 партнёру"),
        (2, "Ваш запрос отправлен 2 партнёрам"),
        (5, "Ваш запрос отправлен 5 партнёрам"),
        (21, "Ваш запрос отправлен 21 партнёру"),
    ],
)
def test_the_customers_confirmation_counts_its_partners_with_the_russian_plural(n, russian):
    names = [f"Partner {i}" for i in range(n)]
    with translation.override("ru"):
        said = render_to_string("emails/ru/customer_request_sent.subject.txt", {"partner_names": names})
    assert said.strip() == russian
