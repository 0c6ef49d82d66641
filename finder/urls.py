from django.urls import path

from finder import views

app_name = "finder"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("request/", views.send, name="send"),
    path("sent/", views.sent, name="sent"),
    # The one-click links of the customer's note (finder/alternatives.py).
    path("requests/<str:token>/add/<str:signed>/", views.alternative, name="alternative"),
    path("cities/", views.city_options, name="cities"),
    path("<int:location_id>/", views.profile_page, name="profile"),
    path("<int:location_id>/logo/", views.logo, name="logo"),
]
