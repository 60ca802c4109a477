"""A profile beside the user model, holding a phone number to find the account by."""

from django.conf import settings
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # Stored normalised: "+" and digits only, as the reset serializer produces them.
    phone = models.CharField(max_length=16, unique=True)

    def __str__(self) -> str:
        return self.phone
