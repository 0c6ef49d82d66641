from django.urls import path

from partners import views

app_name = "partners"

urlpatterns = [
    path("", views.profiles, name="profiles"),
    path("new/", views.profile_new, name="profile_new"),
    path("cities/", views.city_options, name="cities"),
    path("<int:profile_id>/", views.profile_edit, name="profile_edit"),
    path("<int:profile_id>/status/", views.profile_status, name="profile_status"),
    path("<int:profile_id>/logo/", views.logo, name="profile_logo"),
]
