"""Password rules beyond Django's own validators (length, common list, similarity)."""
from django.core.exceptions import ValidationError

MAX_LENGTH = 128


class ProductNameValidator:
    """Refuse passwords built around the product's or the organisation's name."""

    def validate(self, password, user=None):
        lowered = password.lower()
        words = {"quietroom", "quiet room"}
        org = getattr(user, "organisation", None)
        if org is not None and len(org.name) >= 4:
            words.add(org.name.lower())
        for word in words:
            if word in lowered:
                raise ValidationError(
                    "Your password must not contain the product's or your organisation's name.",
                    code="password_contains_product_name",
                )

    def get_help_text(self):
        return "Your password must not contain the product's or your organisation's name."


class MaximumLengthValidator:
    """Long passphrases are welcome; only absurd lengths (hashing cost) are refused."""

    def validate(self, password, user=None):
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                f"Your password must be at most {MAX_LENGTH} characters.", code="password_too_long"
            )

    def get_help_text(self):
        return f"Up to {MAX_LENGTH} characters; a passphrase of several words works well."
