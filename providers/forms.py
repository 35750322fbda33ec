"""The code form of the sign-in's second step."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """Six digits from the authenticator app (spaces ignored)."""

    code = forms.CharField(label=_("Code"), max_length=20)

    def clean_code(self) -> str:
        digits = re.sub(r"\s", "", self.cleaned_data["code"])
        if not re.fullmatch(r"\d{6}", digits):
            raise ValidationError(_("Enter the 6 digits your app shows."))
        return digits

    @property
    def code_value(self) -> str:
        return self.cleaned_data["code"]
