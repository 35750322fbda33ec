from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from cards import views as card_views
from cards.api import CallViewSet, CardRequestViewSet
from helpdesk import health
from providers.api import HouseViewSet, ProviderLookupViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("requests", CardRequestViewSet, basename="card-request")
router.register("calls", CallViewSet, basename="call")
router.register("houses", HouseViewSet, basename="house")
router.register("providers", ProviderLookupViewSet, basename="provider")


def _authenticated_by_drf(patterns):
    """API views authenticate tokens and sessions themselves (default permission:
    IsAuthenticated), so the site-wide login redirect does not apply to them."""
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns


api_v1 = _authenticated_by_drf(
    [
        path("auth/token/", obtain_auth_token, name="api-token"),
        path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
        *router.urls,
    ]
)

urlpatterns = [
    path("", card_views.home, name="home"),
    path(
        "requests/<str:reference>/",
        card_views.card_request_page,
        name="card-request-page",
    ),
    path(
        "login/",
        login_not_required(
            auth_views.LoginView.as_view(redirect_authenticated_user=True)
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path(
        "api/docs/",
        login_not_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
