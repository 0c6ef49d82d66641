from django.urls import path

from finder import views

app_name = "finder"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("request/", views.send, name="send"),
    path("sent/", views.sent, name="sent"),
    path("cities/", views.city_options, name="cities"),
    path("<int:location_id>/", views.profile_page, name="profile"),
    path("<int:location_id>/logo/", views.logo, name="logo"),
]
