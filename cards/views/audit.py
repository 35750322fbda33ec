"""Who was shown a request's full identifier: the access records, read by
supervisors (their house's requests) and national admins. Nobody edits them."""

from django import forms
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from cards.permissions import Action, has_role_for
from cards.selectors import identifier_accesses_visible_to

PAGE_SIZE = 50


class AccessFilterForm(forms.Form):
    reference = forms.CharField(label=_("Request reference"), required=False)
    person = forms.CharField(
        label=_("Person"), required=False, help_text=_("User name or name.")
    )

    def clean_reference(self):
        return self.cleaned_data["reference"].strip().upper()

    def clean_person(self):
        return self.cleaned_data["person"].strip()


def _filtered(accesses, form: AccessFilterForm):
    if not form.is_valid():
        return accesses
    reference, person = form.cleaned_data["reference"], form.cleaned_data["person"]
    if reference:
        accesses = accesses.filter(card_request__reference__contains=reference)
    if person:
        accesses = accesses.filter(
            Q(person__username__icontains=person)
            | Q(person__first_name__icontains=person)
            | Q(person__last_name__icontains=person)
        )
    return accesses


@require_safe
def access_list(request):
    """The access records in the reader's scope, newest first, filterable by
    request reference and person; identifiers appear masked only."""
    if not has_role_for(request.user, Action.VIEW_ACCESS_RECORDS):
        raise Forbidden
    form = AccessFilterForm(request.GET or None)
    accesses = _filtered(identifier_accesses_visible_to(request.user), form)
    page = Paginator(accesses, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "cards/audit/list.html", context)
