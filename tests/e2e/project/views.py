"""A request endpoint with hooks of its own, configured through ``as_view()``.

Its overrides must run where the issuing work runs, in the worker, with the options it was
built with: the worker rebuilds it from the job's dotted path and ``as_view()`` options.
"""

import os
from typing import Any

from django.core.mail import EmailMessage

from resetkit.backends import ResetTokenLike
from resetkit.contrib.email import get_email_context
from resetkit.views import ResetPasswordRequestToken

#: The header that names the process which sent the e-mail.
SENT_BY_HEADER = "X-Resetkit-E2E-Sent-By"


class TenantPasswordResetRequest(ResetPasswordRequestToken):
    """Finds accounts of one tenant only, and sends an e-mail of its own."""

    #: ``as_view(tenant_domain=...)``: only addresses at this domain get a token.
    tenant_domain: str = ""
    #: ``as_view(subject_prefix=...)``: put before the subject of the e-mail.
    subject_prefix: str = ""

    def get_user_queryset(self) -> Any:
        return super().get_user_queryset().filter(email__iendswith=f"@{self.tenant_domain}")

    def deliver_token(self, token: ResetTokenLike) -> None:
        context = get_email_context(token)
        # The worker's request is a copy of the real one's safe parts: its URL and headers.
        asked = f"Asked at {self.request.build_absolute_uri()} by {self.get_user_agent()}."
        EmailMessage(
            subject=f"{self.subject_prefix} Reset your password",
            body=f"Open {context['reset_url']} to choose a new password.\n{asked}\n",
            to=[context["email"]],
            headers={SENT_BY_HEADER: f"{os.environ.get('RESETKIT_E2E_ROLE')} {os.getpid()}"},
        ).send()
