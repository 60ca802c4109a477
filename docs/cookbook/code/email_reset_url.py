"""One link per front end: RESET_URL as a function of the token, the user and the request."""

from typing import Any
from urllib.parse import quote

# The reset page of each front end, by the Origin its requests come from.
RESET_PAGES = {
    "https://app.example": "https://app.example/reset",
    "https://shop.example": "https://shop.example/account/reset",
}
DEFAULT_PAGE = "https://app.example/reset"


def reset_url(token: str, user: Any, request: Any) -> str:
    """Return the link resetkit.contrib.email sends.

    ``request`` is the request that asked (in the executor, a copy of its host, scheme and
    headers), or ``None`` when there is none (``generate_token_for_email``).
    """
    origin = request.headers.get("Origin") if request is not None else None
    page = RESET_PAGES.get(origin or "", DEFAULT_PAGE)
    # In the fragment, the token stays out of every server's access log.
    return f"{page}#token={quote(token, safe='')}"
