from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from django_otp.admin import OTPAdminSite
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from cards.api import CallViewSet, CardRequestViewSet
from cards.views.home import home
from helpdesk import health
from providers.api import HouseViewSet, ProviderLookupViewSet
from providers.api_token import ObtainTokenView
from providers.views import SignInView

# The admin, too, needs a session verified with an authentication code.
admin.site.__class__ = OTPAdminSite

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
        path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
        path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
        *router.urls,
    ]
)

urlpatterns = [
    path("", home, name="home"),
    path("", include("cards.urls.portal")),
    path("queue/", include("cards.urls.queue")),
    path("audit/", include("cards.urls.audit")),
    path("supervise/", include("cards.urls.supervise")),
    path("reports/", include("cards.urls.reports")),
    path("console/", include("cards.urls.console")),
    path("account/", include("cards.urls.account")),
    path("", include("cards.urls.public")),
    path("help/", include("cards.urls.help")),
    path("login/", SignInView.as_view(), name="login"),
    path("login/", include("providers.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
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
