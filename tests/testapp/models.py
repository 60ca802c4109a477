"""Models the suite needs besides ``auth.User``.

``UUIDUser`` exists only in runs that select it (``RESETKIT_TEST_USER_MODEL=uuid``): beside a
concrete ``auth.User`` its group and permission relations would clash.
"""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

if settings.AUTH_USER_MODEL == "testapp.UUIDUser":

    class UUIDUser(AbstractUser):
        """A custom user whose primary key is a UUID, as many projects use."""

        id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

        class Meta:
            app_label = "testapp"
