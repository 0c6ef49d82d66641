"""What the partner's referral pages read from a request, and the words they show for states and actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kernel.text import LINE_MESSAGE
from referrals import lifecycle
from referrals.lifecycle import State
from referrals.validation import ActionInput

# A tab per open state, in the lifecycle's order, and the archive of every outcome.
TABS = (*(s.value for s in State if lifecycle.is_open(s)), "archive")
OUTCOMES = tuple(s.value for s in lifecycle.OUTCOMES)
SORTS = ("newest", "oldest", "deadline")
PER_PAGE = 25
MAX_SEARCH = 100

TAB_LABELS = {
    "new": pgettext_lazy("inbox tab", "New"),
    "evaluating": pgettext_lazy("inbox tab", "Evaluating"),
    "negotiating": pgettext_lazy("inbox tab", "Negotiating"),
    "archive": pgettext_lazy("inbox tab", "Archive"),
}

SOURCE_LABELS = {
    "finder": _("Partner finder"),
    "agent": _("Operator agent"),
    "advertising": _("Advertising"),
    "api": _("API"),
    "import": _("Import"),
}
STATE_LABELS = {
    "new": pgettext_lazy("referral state", "New"),
    "evaluating": pgettext_lazy("referral state", "Evaluating"),
    "negotiating": pgettext_lazy("referral state", "Negotiating"),
    "won": pgettext_lazy("referral state", "Won"),
    "lost": pgettext_lazy("referral state", "Lost"),
    "skipped": pgettext_lazy("referral state", "Skipped"),
    "missed": pgettext_lazy("referral state", "Missed"),
    "declined": pgettext_lazy("referral state", "Declined"),
    "expired": pgettext_lazy("referral state", "Expired"),
}

ACTION_LABELS = {
    "create": _("Referral received"),
    "interested": _("Marked as interested"),
    "skip": _("Answered no thanks"),
    "accept": _("Accepted"),
    "decline": _("Declined"),
    "win": _("Marked as won"),
    "lose": _("Marked as lost"),
    "miss": _("Missed: no answer in time"),
    "expire": _("Expired: no decision in time"),
    "edit": _("Edited"),
}

# What the pages ask before an action that closes a referral, and what they say it will do.
CONFIRM_QUESTIONS = {
    "skip": _("Answer no thanks to referral %(id)s?"),
    "decline": _("Decline referral %(id)s?"),
    "win": _("Mark referral %(id)s as won?"),
    "lose": _("Mark referral %(id)s as lost?"),
}
CONFIRM_CONSEQUENCES = {
    "skip": _("The referral closes and the customer will be offered other partners. This cannot be undone."),
    "decline": _("The referral closes and the customer will be offered other partners. This cannot be undone."),
    "win": _("The referral closes as won with the final deal value below. This cannot be undone."),
    "lose": _("The referral closes as lost. This cannot be undone."),
}
CONFIRM_BUTTONS = {
    "skip": _("Yes, answer no thanks"),
    "decline": _("Yes, decline"),
    "win": _("Yes, mark as won"),
    "lose": _("Yes, mark as lost"),
}

# The referral page's keyboard shortcuts, as its help (press ?) lists them: static/js/shortcuts.js clicks the
# button or link marked data-shortcut="<key>", or moves the focus to the field so marked.
SHORTCUTS = (
    ("i", _("I'm interested")),
    ("n", _("No thanks: choose a reason")),
    ("a", _("Accept: enter the estimated deal value")),
    ("d", _("Decline: choose a reason")),
    ("w", _("Won: enter the final deal value")),
    ("l", _("Lost: choose a reason")),
    ("e", _("Write notes for your team")),
    ("m", _("Choose who works the referral")),
    ("u", _("Back to all referrals")),
    ("?", _("Show or hide these shortcuts")),
)

# The fields of the referral page's forms, kept for the page that shows a failed form again.
FORM_FIELDS = ("deal_value", "currency", "expected_close_date", "final_value", "reason", "comment", "notes", "assignee")

SORT_LABELS = {
    "newest": _("Newest first"),
    "oldest": _("Oldest first"),
    "deadline": _("Deadline soonest"),
}

# The services speak English; these are the words the pages show for their messages.
SERVICE_MESSAGES = {
    "Enter the amount.": _("Enter the amount."),
    "Enter a number, such as 12500 or 12500.50.": _("Enter a number, such as 12500 or 12500.50."),
    "The amount must be greater than zero.": _("The amount must be greater than zero."),
    "The amount is too large.": _("The amount is too large."),
    "Use at most two decimal places.": _("Use at most two decimal places."),
    "Enter the expected close date.": _("Enter the expected close date."),
    "Enter a date as YYYY-MM-DD.": _("Enter a date as YYYY-MM-DD."),
    "The expected close date cannot be in the past.": _("The expected close date cannot be in the past."),
    "Choose a currency.": _("Choose a currency."),
    "Choose one of the listed reasons.": _("Choose one of the listed reasons."),
    "Choose a reason.": _("Choose a reason."),
    "Keep the comment under 2000 characters.": _("Keep the comment under 2000 characters."),
    "Keep notes under 20,000 characters.": _("Keep notes under 20,000 characters."),
    "Choose a member of your team.": _("Choose a member of your team."),
    "Select at least one referral.": _("Select at least one referral."),
    "Select at most 100 referrals.": _("Select at most 100 referrals."),
    "Enter a name for the view.": _("Enter a name for the view."),
    "Keep the name under 80 characters.": _("Keep the name under 80 characters."),
    "You can keep up to 30 views. Delete one first.": _("You can keep up to 30 views. Delete one first."),
    LINE_MESSAGE: _(LINE_MESSAGE),  # translated in locale/, beside kernel.text
    "Notes updated": _("Notes updated"),
    "Unassigned": _("Unassigned"),
}


def service_message(text: str) -> str:
    """The page's wording of a service message (an unknown one stays as the service wrote it)."""
    if text.startswith("Assigned to "):
        return str(_("Assigned to %(email)s") % {"email": text.removeprefix("Assigned to ")})
    if text.endswith(" is not a currency we know."):
        return str(_("%(code)s is not a currency we know.") % {"code": text.split(" ", 1)[0]})
    return str(SERVICE_MESSAGES.get(text, text))


@dataclass(frozen=True)
class InboxQuery:
    """The inbox's tab, archive outcome, sort, search text, "assigned to me" and page, with defaults for
    anything odd."""

    tab: str = "new"
    outcome: str = ""
    sort: str = "newest"
    q: str = ""
    page: str = "1"
    mine: bool = False

    @classmethod
    def parse(cls, params: QueryDict) -> InboxQuery:
        tab = params.get("tab", "new")
        tab = tab if tab in TABS else "new"
        outcome = params.get("outcome", "")
        outcome = outcome if tab == "archive" and outcome in OUTCOMES else ""
        sort = params.get("sort", "newest")
        sort = sort if sort in SORTS else "newest"
        q = " ".join(params.get("q", "").split())[:MAX_SEARCH]
        mine = params.get("mine") == "1"
        return cls(tab=tab, outcome=outcome, sort=sort, q=q, page=params.get("page", "1"), mine=mine)

    def params(self) -> dict[str, str]:
        """The filters that differ from the defaults, as a query string holds them (the page left out): what a
        saved view keeps and the export link passes on."""
        chosen = {"tab": self.tab, "outcome": self.outcome, "sort": self.sort, "q": self.q, "mine": "1" * self.mine}
        return {name: value for name, value in chosen.items() if value and value != DEFAULTS.get(name)}

    @property
    def states(self) -> list[str]:
        if self.tab != "archive":
            return [self.tab]
        if self.outcome:
            return [self.outcome]
        return list(OUTCOMES)


def parse_since(raw: str | None, default: datetime) -> datetime:
    """The moment the inbox page was drawn, as its polling fragment sends it back."""
    try:
        at = datetime.fromisoformat((raw or "").strip().replace(" ", "+"))
    except ValueError:
        return default
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def parse_version(post: QueryDict) -> int | None:
    raw = post.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def action_input(post: QueryDict) -> ActionInput:
    return ActionInput(
        deal_value=post.get("deal_value"),
        currency=post.get("currency", ""),
        expected_close_date=post.get("expected_close_date") or None,
        final_value=post.get("final_value"),
        reason=post.get("reason", ""),
        comment=post.get("comment", ""),
    )


DEFAULTS = {"tab": InboxQuery.tab, "sort": InboxQuery.sort}
