from django.apps import AppConfig


class FinderConfig(AppConfig):
    name = "finder"
    verbose_name = "Partner finder"

    def ready(self) -> None:
        from finder import alternatives, indexing, status
        from notifications import emails

        indexing.connect()
        # The customer's note names alternatives with the finder's one-click links (notifications cannot import
        # the finder: referrals import notifications).
        emails.install_alternatives(alternatives.for_note)
        emails.install_status_link(status.link)
