"""Settings of the demo project as the burst test (``attack.py``) serves it.

``race_settings`` (PostgreSQL, the default cache on Redis so that every gunicorn worker counts in
one place) with resetkit's limits switched back on, as shipped:

* the request-token throttle (``THROTTLE_CLASSES`` unset: 3/day per client);
* the validate and confirm throttles, ``ResetPasswordValidateTokenThrottle`` (30/hour) and
  ``ResetPasswordConfirmThrottle`` (10/hour), at their built-in rates;
* the per-account token budget, ``ACCOUNT_TOKEN_RATE`` 3/hour;
* ``IPV6_PREFIX_LENGTH`` and ``CODE_ATTEMPT_LIMIT`` at their defaults.

DRF's ``NUM_PROXIES = 1``: the client address is the last ``X-Forwarded-For`` entry, as behind one
reverse proxy, so one script on 127.0.0.1 can speak from many addresses. The request endpoint
issues and delivers before it answers (``BENCH_EXECUTOR=inline``, set by the script), so every
token of a burst is counted when its last answer arrives.

``ATTACK_SHORT_CODES=1`` switches the token generator to six digits (a short code: the
per-account attempt limit applies), and the token store to one that logs each presented key's
lookup and each revocation to ``$ATTACK_EVENT_LOG`` (see ``attack_server``).
"""

import os

from race_settings import *  # noqa: F403

RESETKIT = {
    **RESETKIT,  # noqa: F405
    "THROTTLE_CLASSES": None,
    "VALIDATE_THROTTLE_CLASSES": ["resetkit.throttling.ResetPasswordValidateTokenThrottle"],
    "CONFIRM_THROTTLE_CLASSES": ["resetkit.throttling.ResetPasswordConfirmThrottle"],
    "ACCOUNT_TOKEN_RATE": "3/hour",
}

if os.environ.get("ATTACK_SHORT_CODES") == "1":
    RESETKIT["TOKEN_GENERATOR"] = {
        "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
        "OPTIONS": {"min_number": 100000, "max_number": 999999},
    }
    RESETKIT["TOKEN_STORE"] = "attack_server.LoggingORMTokenStore"

REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "NUM_PROXIES": 1,
}
SILENCED_SYSTEM_CHECKS = []
