from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching and learning"

    def ready(self) -> None:
        # Referrals do not import matching: the intake service asks for the chooser installed here when a request
        # names no partners (referrals.services.create_engagement).
        from matching import explanations, routing
        from matching.engine import runtime
        from referrals import routing_why, services

        # Every process of the product may route (web, worker, commands): its heap and collector set for it.
        runtime.prepare()

        services.install_chooser(routing.choose_targets)
        # The referral page and API show why a referral was routed; the stored decisions are this app's.
        routing_why.install_explainer(explanations.of_referral)
