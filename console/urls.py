from django.urls import include, path

app_name = "console"

# Agents' pages (console/agent_*.py) and programme admins' pages (console/admin_*.py) live apart.
urlpatterns = [
    path("", include("console.agent_urls")),
    path("", include("console.admin_urls")),
]
