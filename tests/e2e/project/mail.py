"""The SMTP backend of the ``threads`` runs: each e-mail names the process and the thread that
sent it, so a test can tell a web process's pool thread from a request's thread."""

import os
import threading
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend

from tests.e2e.project.views import SENT_BY_HEADER


class SentByEmailBackend(EmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sender = (
            f"{os.environ.get('RESETKIT_E2E_ROLE')} {os.getpid()} {threading.current_thread().name}"
        )
        for message in email_messages:
            message.extra_headers.setdefault(SENT_BY_HEADER, sender)
        return super().send_messages(email_messages)
