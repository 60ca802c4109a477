"""The README's "Installing into a project", followed to the letter in a brand-new project.

``django-admin startproject`` and ``startapp`` make the project in a temporary directory; each
step's snippet is read from README.md by its ``<!-- readme-install:NAME -->`` marker and applied
as the README says (settings appended, ``urls.py`` and ``apps.py`` replaced, the commands run),
so the test fails as soon as the README drifts. The package itself is the one installed here
(``make wheel-smoke`` installs the built wheel into a fresh virtualenv). Then a user asks for a
reset through the project's own settings, the e-mail the console backend prints holds a link
to ``RESET_URL``, and its token validates and confirms. About 10 seconds.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shlex
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import django
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MARKED_BLOCK = re.compile(
    r"^<!-- readme-install:(?P<name>[\w.-]+) -->\n```(?P<lang>\w+)\n(?P<code>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
RESET_URL = "https://app.example/reset#token="
EMAIL = "alice@example.com"
NEW_PASSWORD = "a-much-better-one-42"

# Run inside the project (DJANGO_SETTINGS_MODULE=mysite.settings): one step of a user's flow,
# through the project's own settings, URLs and e-mail backend.
FLOW = """
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from resetkit.executors import flush_issue_executors

step, arg, new_password = sys.argv[1:4]
client = Client(HTTP_HOST="localhost")  # startproject's ALLOWED_HOSTS with DEBUG on


def post(path, body):
    response = client.post(path, body, content_type="application/json")
    print("ANSWER", json.dumps([response.status_code, response.json()]), flush=True)


if step == "request":
    get_user_model().objects.create_user("alice", arg, "first-Passw0rd-old")
    post("/api/password_reset/", {"email": arg})
    # The default executor issues and e-mails on a background thread: wait for it.
    assert flush_issue_executors(timeout=30)
elif step == "finish":
    post("/api/password_reset/validate_token/", {"token": arg})
    post("/api/password_reset/confirm/", {"token": arg, "password": new_password})
    print("LOGIN", get_user_model().objects.get(username="alice").check_password(new_password))
"""


def readme_snippets() -> dict[str, tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    return {m["name"]: (m["lang"], m["code"]) for m in MARKED_BLOCK.finditer(text)}


def printed_email(output: str) -> EmailMessage:
    """The one e-mail the console backend printed (raw MIME from Django 6.1 on, decoded text
    before), parsed."""
    start = re.search(r"^(Content-Type|MIME-Version): ", output, re.MULTILINE)
    assert start, output
    printed, separator, _rest = output[start.start() :].partition("\n" + "-" * 79)
    assert separator, output
    message = email.message_from_string(printed, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def shell_commands(code: str) -> list[list[str]]:
    """The commands of a ``sh`` block, comments dropped."""
    lines = (line.split("#", 1)[0].strip() for line in code.splitlines())
    return [shlex.split(line) for line in lines if line]


@pytest.fixture(scope="module")
def snippets() -> dict[str, tuple[str, str]]:
    found = readme_snippets()
    assert set(found) == {"pip", "settings", "email-before-6.1", "migrate", "urls", "apps"}, sorted(
        found
    )
    return found


def run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def test_readme_install_steps_work_in_a_new_project(snippets, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": "", "DJANGO_SETTINGS_MODULE": "mysite.settings"}
    python = sys.executable

    # Step 1 installs the package; here it is the one this interpreter already has.
    assert shell_commands(snippets["pip"][1]) == [["pip", "install", "django-resetkit"]]

    run([python, "-m", "django", "startproject", "mysite", str(tmp_path)], tmp_path, env)
    run([python, "manage.py", "startapp", "accounts"], tmp_path, env)

    lang, settings_code = snippets["settings"]
    assert lang == "python"
    settings = tmp_path / "mysite" / "settings.py"
    written = settings.read_text()
    if django.VERSION >= (6, 1):
        # The README keeps the console MAILERS that startproject writes from Django 6.1 on.
        assert "django.core.mail.backends.console.EmailBackend" in written
        assert "MAILERS" in written
    else:
        lang, email_code = snippets["email-before-6.1"]
        assert lang == "python"
        settings_code += "\n" + email_code
    settings.write_text(written + "\n\n" + settings_code, encoding="utf-8")

    lang, code = snippets["urls"]
    assert lang == "python"
    (tmp_path / "mysite" / "urls.py").write_text(code, encoding="utf-8")

    lang, code = snippets["apps"]
    assert lang == "python"
    (tmp_path / "accounts" / "apps.py").write_text(code, encoding="utf-8")

    for command in shell_commands(snippets["migrate"][1]):
        assert command[:2] == ["python", "manage.py"], command
        run([python, *command[1:]], tmp_path, env)

    # The README promises a silent `check`: no warning about the setup it describes.
    run([python, "manage.py", "check", "--fail-level", "WARNING"], tmp_path, env)

    (tmp_path / "flow.py").write_text(FLOW, encoding="utf-8")
    output = run([python, "flow.py", "request", EMAIL, NEW_PASSWORD], tmp_path, env)
    assert 'ANSWER [200, {"status": "OK"}]' in output, output
    # The console backend's message: to Alice, with a link to RESET_URL holding the token.
    message = printed_email(output)
    assert message["To"] == EMAIL, output
    body = message.get_body(preferencelist=("plain",)).get_content()
    tokens = set(re.findall(re.escape(RESET_URL) + r"([0-9a-f]+)", body))
    assert len(tokens) == 1, body
    token = tokens.pop()

    output = run([python, "flow.py", "finish", token, NEW_PASSWORD], tmp_path, env)
    answers = [
        json.loads(line[len("ANSWER ") :]) for line in output.splitlines() if "ANSWER" in line
    ]
    assert answers == [[200, {"status": "OK"}], [200, {"status": "OK"}]], output
    assert "LOGIN True" in output, output
