from django.urls import path

from referrals import changes_views, inbox_views, views

app_name = "referrals"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("fresh/", views.inbox_fresh, name="inbox_fresh"),
    path("referrals.csv", views.inbox_csv, name="inbox_csv"),
    path("bulk/", inbox_views.bulk_action, name="bulk"),
    path("changes/", changes_views.changes_list, name="changes"),
    path("changes/read/", changes_views.mark_read, name="changes_read"),
    path("views/", inbox_views.save_view, name="save_view"),
    path("views/<int:view_id>/delete/", inbox_views.delete_view, name="delete_view"),
    path("<int:referral_id>/", views.detail, name="detail"),
    path("<int:referral_id>/notes/", views.notes, name="notes"),
    path("<int:referral_id>/assign/", views.assign, name="assign"),
    path("<int:referral_id>/<slug:action>/", views.act, name="act"),
]
