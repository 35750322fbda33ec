"""The phone operator console: caller lookup, the call form (which can file the
caller's request in the same step), today's calls and other houses' numbers."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cards import services
from cards.exceptions import DomainError
from cards.forms.console import CallForm
from cards.guidance import READER_ERRORS
from cards.permissions import Action, has_role_for
from cards.selectors import calls_today_for, card_request_is_visible_to
from cards.views.public import house_contacts, office_contacts, phone_links
from providers.selectors import (
    house_with_offices,
    houses_active,
    offices_for_providers,
    provider_active,
    providers_lookup,
)

TODAY_LIMIT = 200


def _allowed(action):
    """403 for anyone whose role may not take `action` anywhere."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role_for(request.user, action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


@_allowed(Action.LOG_CALL)
def console_home(request):
    form = CallForm(request.POST or None, actor=request.user, initial=_initial(request))
    if request.method == "POST" and form.is_valid():
        try:
            return _log_call(request, form)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except DomainError as error:
            form.add_error(None, error.message)
    context = {
        "form": form,
        "selected_provider": _with_office(form.selected_provider()),
        "reader_error": form.selected_reader_error(),
        "other_house": _other_house(request.user, form),
        **_lookup(request.GET.get("q", "")),
        "calls": _calls_today(request.user),
        "houses": houses_active(),
        "reader_errors": READER_ERRORS.values(),
    }
    return render(request, "cards/console/home.html", context)


@require_safe
@_allowed(Action.LOOKUP_PROVIDERS)
def lookup(request):
    context = _lookup(request.GET.get("q", ""))
    return render(request, "cards/console/_lookup_results.html", context)


@require_safe
@_allowed(Action.LOG_CALL)
def house(request, code=""):
    """A house's office numbers: the picker's panel, or (`for=filing`) the notice
    shown beside the call form when the card belongs to another house."""
    house = house_with_offices(code=code or request.GET.get("house", ""))
    if request.GET.get("for") == "filing":
        if not _elsewhere(request.user, house):
            return HttpResponse("")
        context = {"other_house": house_contacts(house)}
        return render(request, "cards/console/_house_notice.html", context)
    if house is None:
        if request.htmx:
            return HttpResponse("")
        raise Http404(_("No such house."))
    if not request.htmx:
        return redirect(reverse("public:contacts") + f"#house-{house.code}")
    context = {"house": house_contacts(house)}
    return render(request, "cards/console/_house.html", context)


def _initial(request) -> dict:
    """A provider chosen in the lookup without scripts (`?provider=<id>`)."""
    provider = provider_active(pk=request.GET.get("provider", ""))
    return {"provider": provider} if provider else {}


def _log_call(request, form):
    card_request, created = None, False
    if form.files_request:
        _call, card_request, created = services.call_log_and_file(
            actor=request.user, **form.call_fields(), **form.filing_fields()
        )
    else:
        services.call_log(actor=request.user, **form.call_fields())
    code = form.cleaned_data.get("error_code") if form.files_request else None
    if card_request is None and code in READER_ERRORS:
        error = READER_ERRORS[code]
        messages.warning(
            request,
            _("Call logged; nothing was filed. Error %(code)s: %(meaning)s %(advice)s")
            % {"code": code, "meaning": error.meaning, "advice": error.advice},
        )
    elif card_request is None:
        messages.success(request, _("Call logged."))
    else:
        messages.success(request, _filed_message(request.user, card_request, created))
    return redirect("console:home")


def _filed_message(actor, card_request, created):
    reference = _reference_html(actor, card_request)
    if not created and not card_request_is_visible_to(
        actor=actor, card_request=card_request
    ):
        # Another house's request: say it exists, show nothing of it.
        return _(
            "Call logged. This card already has an open request at %(house)s: the "
            "CAS is handling it and nothing new was filed."
        ) % {"house": card_request.house.short_name}
    if created:
        return format_html(
            _("Call logged and request {reference} filed in the queue of {house}."),
            reference=reference,
            house=card_request.house.short_name,
        )
    return format_html(
        _(
            "Call logged. This card already had an open request, {reference} "
            "({status}): the call is linked to it and nothing new was filed."
        ),
        reference=reference,
        status=card_request.get_status_display(),
    )


def _reference_html(actor, card_request):
    """The reference, linked when the actor may open the request (a request filed
    into another house's queue is out of an operator's sight)."""
    if not card_request_is_visible_to(actor=actor, card_request=card_request):
        return format_html("<strong>{}</strong>", card_request.reference)
    url = reverse("queue:detail", args=[card_request.reference])
    return format_html('<a href="{}">{}</a>', url, card_request.reference)


def _lookup(query: str) -> dict:
    query = query.strip()[:100]
    providers = providers_lookup(query=query)
    offices = offices_for_providers(providers)
    for provider in providers:
        _with_contacts(provider, offices.get(provider.pk))
    return {"query": query, "results": providers}


def _with_office(provider):
    if provider is None:
        return None
    return _with_contacts(provider, offices_for_providers([provider]).get(provider.pk))


def _with_contacts(provider, office):
    """The provider with its `phone_links` and the `office` its cards go to."""
    numbers = [provider.phone, *(place.phone for place in provider.locations.all())]
    provider.phone_links = phone_links(dict.fromkeys(numbers), as_stored=False)
    provider.office = office_contacts([office])[0] if office else None
    return provider


def _other_house(actor, form):
    """The card's house chosen in a submitted form, when it is not the actor's."""
    if not form.is_bound or not form.may_file:
        return None
    house = house_with_offices(code=str(form["house"].value() or ""))
    return house_contacts(house) if _elsewhere(actor, house) else None


def _elsewhere(actor, house) -> bool:
    """True for a house other than the actor's own (national staff have none)."""
    return house is not None and actor.house_id not in (None, house.pk)


def _calls_today(actor) -> list:
    calls = list(calls_today_for(actor)[:TODAY_LIMIT])
    for call in calls:
        call.caller = phone_links([call.caller_phone], as_stored=False)[0]
        call.duration = _duration(call.duration_seconds)
    return calls


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes, seconds = divmod(max(seconds, 0), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"
