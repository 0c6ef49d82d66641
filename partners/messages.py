"""The messages of partners.services that the profile editor can show, marked for translation.

The services speak English (the API's language); the web pages look each message up in the active
language with gettext, so each has to be listed here for makemessages to find it.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

PROFILE_MESSAGES = (
    gettext_noop("Use the two-letter country code, such as DE or RU."),
    gettext_noop("A profile has at most 5 locations."),
    gettext_noop("Enter the city."),
    gettext_noop("Keep the city under 120 characters."),
    gettext_noop("Keep the address under 300 characters."),
    gettext_noop("The latitude is a number from -90 to 90."),
    gettext_noop("The longitude is a number from -180 to 180."),
    gettext_noop("Add at least one contact to receive the referral alerts."),
    gettext_noop("A profile has at most 20 contacts."),
    gettext_noop("Enter a valid e-mail address."),
    gettext_noop("This address is already a contact of the profile."),
    gettext_noop("Keep the name under 200 characters."),
    gettext_noop("Use en or ru."),
    gettext_noop("The logo is larger than 1 MB. Upload a smaller PNG, JPEG or WebP image."),
    gettext_noop("Upload the logo as a PNG, JPEG or WebP image (SVG and other files are refused)."),
    gettext_noop("The country of a profile cannot change. Create a profile for the other country."),
    gettext_noop("Choose the country of this profile."),
    gettext_noop("Keep the description under 5000 characters."),
    gettext_noop("Enter a web address starting with https:// or http://."),
    gettext_noop("Use two-letter language codes, such as en or de."),
    gettext_noop("Use at most 30 keywords: fewer, precise ones match better."),
    gettext_noop("Keep each keyword under 60 characters."),
    gettext_noop("Use active or paused."),
    gettext_noop("Leave the capacity empty for no limit, or give 1 to 100000."),
    gettext_noop("Add at least one location: the finder searches by place."),
    gettext_noop("Choose at most 5 industries: fewer, precise tags match better."),
    gettext_noop("Choose the target sizes, or turn off only_target_sizes."),
    gettext_noop("This is not a location of this profile; leave the id out to add one."),
)
