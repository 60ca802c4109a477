"""A minimal Django project that shows resetkit's password-reset flow end to end."""
