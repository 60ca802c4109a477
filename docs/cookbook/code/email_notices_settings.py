"""The links per front end, a sender of their own, and both notices."""

DEFAULT_FROM_EMAIL = "Example App <noreply@app.example>"

RESETKIT = {
    # A callable, or its dotted path: reset_url(token, user, request) returns the link.
    "RESET_URL": "accounts.links.reset_url",
    # The sender of every resetkit.contrib.email message (None: DEFAULT_FROM_EMAIL).
    "FROM_EMAIL": "Example App security <security@app.example>",
    # After a reset: "your password was changed" to the account's address.
    "PASSWORD_CHANGED_NOTICE": True,
    # A request for an address no account uses: "someone asked; ignore this if it was not you",
    # at most once a day per address.
    "UNKNOWN_ADDRESS_NOTICE": True,
    "UNKNOWN_ADDRESS_NOTICE_RATE": "1/day",
}
