"""Create the demo account, or put it back in its documented state."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "demo"
EMAIL = "demo@example.com"
PASSWORD = "demo-password-2024"


class Command(BaseCommand):
    help = f"Create the user {USERNAME!r} ({EMAIL}) with a known password; safe to re-run."

    def handle(self, *args: Any, **options: Any) -> None:
        user, created = get_user_model().objects.get_or_create(
            username=USERNAME, defaults={"email": EMAIL}
        )
        # Re-running restores the documented state, whatever a previous reset changed.
        user.email = EMAIL
        user.is_active = True
        user.set_password(PASSWORD)
        user.save()

        self.stdout.write(self.style.SUCCESS("Demo user " + ("created." if created else "reset.")))
        self.stdout.write(f"  username: {USERNAME}\n  e-mail:   {EMAIL}\n  password: {PASSWORD}")
