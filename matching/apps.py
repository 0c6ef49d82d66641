from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching and learning"

    def ready(self) -> None:
        # Referrals do not import matching: the intake service asks for the chooser installed here when a request
        # names no partners (referrals.services.create_engagement).
        from matching import routing
        from referrals import services

        services.install_chooser(routing.choose_targets)
