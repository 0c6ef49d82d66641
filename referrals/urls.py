from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("fresh/", views.inbox_fresh, name="inbox_fresh"),
    path("<int:referral_id>/", views.detail, name="detail"),
    path("<int:referral_id>/notes/", views.notes, name="notes"),
    path("<int:referral_id>/assign/", views.assign, name="assign"),
    path("<int:referral_id>/<slug:action>/", views.act, name="act"),
]
