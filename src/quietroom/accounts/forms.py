from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError

from . import services
from .models import User, VettingRecord


class LoginForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(max_length=256, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class CodeForm(forms.Form):
    # A six-digit TOTP code or a recovery code (xxxxx-xxxxx).
    code = forms.CharField(
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class ChoosePasswordForm(forms.Form):
    password = forms.CharField(max_length=256, widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}))
    confirm = forms.CharField(max_length=256, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        if data.get("password") != data.get("confirm"):
            raise forms.ValidationError("The two passwords differ.")
        if data.get("password"):
            password_validation.validate_password(data["password"], self.user)
        return data


# --- vendor manager and controller pages -------------------------------------------------------
# No form here has a password field: nobody but the person ever chooses or sees a password.


class PersonForm(forms.Form):
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False, help_text="for security notices only")
    role = forms.ChoiceField(choices=())
    site = forms.ModelChoiceField(queryset=None, required=False)
    locales = forms.CharField(max_length=200, required=False, help_text="e.g. en-GB, en-US")

    def __init__(self, *args, roles=(), sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, User.Role(r).label) for r in roles]
        self.fields["site"].queryset = sites

    def clean_locales(self):
        try:
            return services.parse_locales(self.cleaned_data["locales"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc

    def clean(self):
        data = super().clean()
        if data.get("role") in (User.Role.REVIEWER, User.Role.QA_LEAD) and not data.get("site"):
            self.add_error("site", "Reviewers and QA leads work at a site.")
        return data


class LanguagesForm(forms.Form):
    locales = forms.CharField(max_length=200, required=False, help_text="e.g. en-GB, en-US")

    def clean_locales(self):
        try:
            return services.parse_locales(self.cleaned_data["locales"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


class IsoDateInput(forms.DateInput):
    """<input type="date">, whose value must be yyyy-mm-dd whatever the site's language.

    A plain DateInput renders its value in the locale's first input format (06/12/2026 in
    en-GB); a browser empties a date input whose value is not yyyy-mm-dd, so a pre-filled
    form was refused by its own field. The field accepts ISO dates in every locale."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class VettingForm(forms.Form):
    """A check as recorded by the vendor manager; the document itself is never uploaded."""

    KINDS = [(k, label) for k, label in VettingRecord.Kind.choices if k != "training"]
    kind = forms.ChoiceField(choices=KINDS)
    performed_by = forms.CharField(max_length=200, help_text="who checked or witnessed it")
    performed_on = forms.DateField(widget=IsoDateInput)
    valid_until = forms.DateField(widget=IsoDateInput)
    document_type = forms.CharField(max_length=100, required=False, help_text="identity: e.g. passport")
    reference = forms.CharField(max_length=100, required=False, help_text="document or provider reference")

    def clean(self):
        data = super().clean()
        if data.get("kind") == "identity" and not (data.get("document_type") and data.get("reference")):
            raise forms.ValidationError("Identity verification needs the document type and its reference.")
        if data.get("performed_on") and data.get("valid_until") and data["valid_until"] <= data["performed_on"]:
            self.add_error("valid_until", "The expiry must be after the check.")
        return data


class VendorForm(forms.Form):
    approved = forms.BooleanField(required=False, label="Approved as a sub-processor")
    countries = forms.CharField(max_length=200, required=False, help_text="two-letter codes, e.g. GB, IE")
    remote_work = forms.BooleanField(required=False, label="Remote work allowed (outside site networks)")

    def clean_countries(self):
        try:
            return services.parse_countries(self.cleaned_data["countries"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


class NewVendorForm(VendorForm):
    name = forms.CharField(max_length=200)
    field_order = ["name", "approved", "countries", "remote_work"]


class SiteForm(forms.Form):
    vendor = forms.ModelChoiceField(queryset=None)
    name = forms.CharField(max_length=200)
    country = forms.CharField(max_length=2, help_text="two-letter code")
    networks = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="one CIDR per line")

    def __init__(self, *args, vendors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = vendors

    def clean_country(self):
        return self.cleaned_data["country"].strip().upper()

    def clean_networks(self):
        try:
            networks = services.parse_networks(self.cleaned_data["networks"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc
        if not networks:
            raise forms.ValidationError("A site needs at least one network.")
        return networks


class ManagerInviteForm(forms.Form):
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
