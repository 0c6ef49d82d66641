from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:referral_id>/", views.detail, name="detail"),
    path("<int:referral_id>/<slug:action>/", views.act, name="act"),
]
