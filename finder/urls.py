from django.urls import path

from finder import status_views, views

app_name = "finder"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("request/", views.send, name="send"),
    path("sent/", views.sent, name="sent"),
    # The one-click links of the customer's note (finder/alternatives.py).
    path("requests/<str:token>/add/<str:signed>/", views.alternative, name="alternative"),
    # The customer's status page, linked from the confirmation e-mail (finder/status.py).
    path("requests/<str:token>/status/<str:signed>/", status_views.status_page, name="status"),
    path("cities/", views.city_options, name="cities"),
    path("<int:location_id>/", views.profile_page, name="profile"),
    path("<int:location_id>/logo/", views.logo, name="logo"),
]
