"""resetkit: password-reset endpoints for Django REST Framework.

Composable mixins (``resetkit.mixins``), swappable token stores (``resetkit.backends``) and
ready-made views (``resetkit.views``) that keep every documented behaviour of
django-rest-passwordreset under the same URL names, signals and settings.
"""

__version__ = "0.1.0"
