from django.urls import path

from console import agent_views

urlpatterns = [
    path("", agent_views.home, name="home"),
]
