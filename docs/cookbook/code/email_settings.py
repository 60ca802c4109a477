"""Where the link in the e-mail points, and who sends the e-mail."""

DEFAULT_FROM_EMAIL = "Example App <noreply@app.example>"

RESETKIT = {
    # Your page that reads the token from the link and posts it with the new password.
    "RESET_URL": "https://app.example/reset?token={token}",
}
