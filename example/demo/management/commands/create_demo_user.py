"""Create the demo's two accounts, or put them back in their documented state.

``demo`` is the account whose password you reset; ``admin`` is staff, to look at the issued
tokens in the admin (/admin/). Both are printed, and listed in the README.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "demo"
EMAIL = "demo@example.com"
PASSWORD = "demo-password-2024"

ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password-2024"


class Command(BaseCommand):
    help = (
        f"Create the user {USERNAME!r} ({EMAIL}) and the staff user {ADMIN_USERNAME!r} with "
        "known passwords; safe to re-run."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.ensure_user(USERNAME, EMAIL, PASSWORD, staff=False, label="Demo user")
        self.ensure_user(
            ADMIN_USERNAME, ADMIN_EMAIL, ADMIN_PASSWORD, staff=True, label="Admin user (/admin/)"
        )

    def ensure_user(self, username: str, email: str, password: str, *, staff: bool, label: str):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": email}
        )
        # Re-running restores the documented state, whatever a previous reset changed.
        user.email = email
        user.is_active = True
        user.is_staff = user.is_superuser = staff
        user.set_password(password)
        user.save()

        self.stdout.write(self.style.SUCCESS(f"{label} " + ("created." if created else "reset.")))
        self.stdout.write(f"  username: {username}\n  e-mail:   {email}\n  password: {password}")
