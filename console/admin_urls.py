from django.urls import path

from console import admin_views

# Programme admins' pages (console/admin_views.py). The agents' pages link to these names.
urlpatterns = [
    path("partners/", admin_views.partners, name="partners"),
    path("partners/<int:partner_id>/", admin_views.partner, name="partner"),
    path("partners/<int:partner_id>/<slug:kind>/", admin_views.partner_action, name="partner_action"),
    path("programme/", admin_views.programme, name="programme"),
    path("programme/reasons/", admin_views.reason_add, name="reason_add"),
    path("programme/reasons/<int:reason_id>/", admin_views.reason_rename, name="reason_rename"),
    path("programme/reasons/<int:reason_id>/active/", admin_views.reason_active, name="reason_active"),
    path("spam/", admin_views.spam, name="spam"),
    path("spam/<int:referral_id>/", admin_views.spam_decide, name="spam_decide"),
    path("breaches/", admin_views.breaches, name="breaches"),
    path("breaches.csv", admin_views.breaches_csv, name="breaches_csv"),
    path("analytics/", admin_views.analytics_page, name="analytics"),
    path("analytics/<slug:table>.csv", admin_views.analytics_csv, name="analytics_csv"),
]
