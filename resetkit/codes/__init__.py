"""The built-in e-mail + code flow: the user receives a short numeric code instead of a link.

``path("api/password_reset/code/", include("resetkit.codes.urls",
namespace="password_reset_code"))`` adds three endpoints: request ``{"email"}``, validate
``{"email", "code"}`` and confirm ``{"email", "code", "password"}``. Codes have
``CODE_LENGTH`` digits and live ``CODE_EXPIRY_MINUTES``; they are kept in a namespace of the
configured store of their own (the stock endpoints never find them), checked against the
account named in ``email`` only, within ``CODE_ATTEMPT_LIMIT`` wrong codes per account, and
delivered by receivers of :data:`resetkit.signals.reset_code_created` (such as
:mod:`resetkit.contrib.email`). One module per concern: ``generators``, ``serializers``,
``delivery``, ``views``, ``urls``.
"""
