"""Password rules beyond Django's own validators (length, common list, similarity)."""
import re

from django.core.exceptions import ValidationError

MAX_LENGTH = 128


PRODUCT_WORDS = ("quietroom", "quiet room")
MIN_WORD = 4  # shorter fragments ("ann", "bob") occur in too many good passphrases


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


class IdentityWordsValidator:
    """Refuse passwords built from the user's own name, e-mail, organisation or the product.

    Django's similarity validator compares whole strings, so "alice-alice-2026" passes it;
    an attacker's first guesses are exactly such variations, so any of these words inside the
    password (ignoring case and punctuation) is refused.
    """

    def _words(self, user) -> set[str]:
        words = {_squash(w) for w in PRODUCT_WORDS}
        if user is not None:
            email = getattr(user, "email", "") or ""
            org = getattr(user, "organisation", None)
            for value in (getattr(user, "username", ""), getattr(user, "first_name", ""),
                          getattr(user, "last_name", ""), email.split("@")[0],
                          org.name if org is not None else ""):
                words.update(_squash(part) for part in re.split(r"[\s._@-]+", value or "") if part)
                words.add(_squash(value or ""))
        return {w for w in words if len(w) >= MIN_WORD}

    def validate(self, password, user=None):
        squashed = _squash(password)
        if any(word in squashed for word in self._words(user)):
            raise ValidationError(
                "Your password must not contain your name, e-mail, organisation or the product's name.",
                code="password_contains_identity",
            )

    def get_help_text(self):
        return "Your password must not contain your name, e-mail, organisation or the product's name."


class MaximumLengthValidator:
    """Long passphrases are welcome; only absurd lengths (hashing cost) are refused."""

    def validate(self, password, user=None):
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                f"Your password must be at most {MAX_LENGTH} characters.", code="password_too_long"
            )

    def get_help_text(self):
        return f"Up to {MAX_LENGTH} characters; a passphrase of several words works well."
