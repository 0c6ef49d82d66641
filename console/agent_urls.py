from django.urls import path

from console import agent_views

urlpatterns = [
    path("", agent_views.home, name="home"),
    path("referrals/new/", agent_views.new_referral, name="new_referral"),
    path("engagements/<int:engagement_id>/", agent_views.engagement, name="engagement"),
    path("leads/", agent_views.leads, name="leads"),
]
