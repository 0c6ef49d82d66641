from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from accounts import views as accounts_views
from leadshare.api import api

urlpatterns = [
    path("", accounts_views.home, name="home"),
    # Browsers that skip base.html's <link rel="icon"> ask for this; without it, every visit logs a 404.
    path("favicon.ico", lambda request: redirect(static("favicon.svg"), permanent=True)),
    # Sign in and out, passwords (these resolve before the project's lines below, same paths), team, settings.
    path("", include("accounts.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Setting a password from an invitation (or a reset) link: notifications.emails.set_password_url.
    path(
        "accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("referrals/", include("referrals.urls")),
    path("profiles/", include("partners.urls")),
    path("scorecard/", include("matching.urls")),
    path("partners/", include("finder.urls")),
    path("console/", include("console.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
