"""Where the link in the e-mail points, and who sends the e-mail."""

DEFAULT_FROM_EMAIL = "Example App <noreply@app.example>"

RESETKIT = {
    # Your page that reads the token from the link and posts it with the new password. The
    # token goes in the fragment (after "#"): browsers never send it, so no access log holds it.
    "RESET_URL": "https://app.example/reset#token={token}",
}
