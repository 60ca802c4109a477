"""Tools for staff: list outstanding reset requests, filter them, revoke a user's tokens, send a
user a reset link.

``resetkit.admin`` uses the helpers in :mod:`resetkit.staff.tokens`; the staff-only API lives
in :mod:`resetkit.staff.views`, mounted with ``include("resetkit.staff.urls")``.
"""
