"""Can the request endpoint's response time tell whether an account exists?

Serves two projects side by side under gunicorn on PostgreSQL, both with a receiver that
e-mails the reset link through Django's SMTP backend to a local SMTP sink (aiosmtpd):

* the demo project with resetkit (``race_settings``);
* the same flow with django-rest-passwordreset 1.6.0, installed from PyPI into its own
  virtualenv (``.bench-venvs/``, git-ignored), with a minimal project generated in a temporary
  directory at run time.

Then it sends ``--requests`` requests to each (half for an existing account, half for an
unknown address) in one interleaved sequence: every block of four holds one request of each
kind for each project, in a random order. Each request is timed on the client, from opening
the connection to the last byte of the answer. Throttles and resetkit's account budget are
off, so every request for the existing account really e-mails a token.

For each project it prints the median latencies, their difference, the two-sided
Mann-Whitney U p-value, and the accuracy of the best threshold classifier ("slower than t ms
means the account exists") measured by 10-fold cross-validation: 50% is chance. It exits 1
if resetkit's accuracy is above ``--max-accuracy`` (55%), 2 if the set-up failed.

``--inline`` is the control experiment: resetkit with ``ISSUE_AFTER_RESPONSE`` off, issuing
and e-mailing before it answers as upstream does. The same measurement must then find the
difference (no accuracy limit applies).

    python benchmarks/timing_oracle.py
    python benchmarks/timing_oracle.py --requests 1000 --seed 7
    python benchmarks/timing_oracle.py --inline
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.metadata
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import mannwhitneyu

sys.path.insert(0, str(Path(__file__).resolve().parent))

from race_support import (
    LOOPBACK,
    REPO,
    BenchmarkError,
    Database,
    background,
    count_lines,
    delete_redis_keys,
    django_env,
    exit_on,
    exit_on_sigterm,
    free_port,
    gunicorn_argv,
    manage,
    smtp_sink,
    wait_until_answering,
)

UPSTREAM = "django-rest-passwordreset==1.6.0"
REQUEST_URL = "/api/password_reset/"
EXISTING = "existing@example.com"
UNKNOWN = "nobody@example.com"
CREATE_USER = (
    "from django.contrib.auth import get_user_model; "
    f"get_user_model().objects.create_user('existing', '{EXISTING}', 'Existing-Passw0rd')"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="per project (400)")
    parser.add_argument("--warm-up", type=int, default=20, help="untimed requests first (20)")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between requests")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument("--seed", type=int, default=2024, help="order and folds (2024)")
    parser.add_argument("--max-accuracy", type=float, default=0.55, help="for resetkit (0.55)")
    parser.add_argument(
        "--inline", action="store_true", help="resetkit with ISSUE_AFTER_RESPONSE off (control)"
    )
    parser.add_argument("--db-prefix", default=os.environ.get("BENCH_DB_PREFIX", "resetkit_bench"))
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    parser.add_argument(
        "--upstream-venv",
        type=Path,
        default=REPO / ".bench-venvs" / "django-rest-passwordreset-1.6.0",
        help="virtualenv for django-rest-passwordreset (created when missing)",
    )
    args = parser.parse_args()
    if args.requests < 40 or args.requests % 2:
        parser.error("--requests must be an even number >= 40")
    return args


# -- the two projects -------------------------------------------------------------------------


@dataclass
class Project:
    """One server under test and what was measured against it."""

    name: str
    port: int
    sink: Path  # the SMTP sink's message count file
    times: dict[str, list[float]] = field(default_factory=lambda: {"existing": [], "unknown": []})


def upstream_python(venv: Path) -> str:
    """The virtualenv's Python, with django-rest-passwordreset 1.6.0, gunicorn and psycopg
    installed (once), and the Django and DRF versions resetkit runs with here."""
    python = venv / "bin" / "python"
    pins = [
        UPSTREAM,
        f"Django=={importlib.metadata.version('Django')}",
        f"djangorestframework=={importlib.metadata.version('djangorestframework')}",
        f"gunicorn=={importlib.metadata.version('gunicorn')}",
        "psycopg[binary]>=3.1.8",
    ]
    stamp = venv / ".installed"
    if stamp.exists() and stamp.read_text() == "\n".join(pins):
        return str(python)
    print(f"installing {', '.join(pins)} into {venv} ...", flush=True)
    for argv in (
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
    ):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode:
            raise BenchmarkError(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    stamp.write_text("\n".join(pins))
    return str(python)


UPSTREAM_SETTINGS = """
    import os

    SECRET_KEY = "timing-oracle-upstream-project-not-secret"
    DEBUG = False
    ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    ROOT_URLCONF = "upstream_bench.urls"
    USE_TZ = True
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    INSTALLED_APPS = [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "rest_framework",
        "django_rest_passwordreset",
        "upstream_bench.apps.UpstreamBenchConfig",
    ]
    # The demo project's middleware, so both servers do the same work around the view.
    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ]
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["BENCH_DB_NAME"],
            "HOST": os.environ.get("BENCH_DB_HOST", "127.0.0.1"),
            "USER": "postgres",
            "CONN_MAX_AGE": 60,
        }
    }
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(os.environ["BENCH_SMTP_PORT"])
    EMAIL_TIMEOUT = 10
    DEFAULT_FROM_EMAIL = "noreply@example.com"
    DJANGO_REST_PASSWORDRESET_NO_INFORMATION_LEAKAGE = True
    DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES = []
    REST_FRAMEWORK = {"DEFAULT_THROTTLE_CLASSES": [], "DEFAULT_THROTTLE_RATES": {}}
"""

UPSTREAM_FILES = {
    "__init__.py": "",
    "settings.py": UPSTREAM_SETTINGS,
    "urls.py": """
        from django.urls import include, path

        urlpatterns = [
            path(
                "api/password_reset/",
                include("django_rest_passwordreset.urls", namespace="password_reset"),
            ),
        ]
    """,
    "apps.py": """
        from django.apps import AppConfig


        class UpstreamBenchConfig(AppConfig):
            name = "upstream_bench"

            def ready(self):
                from upstream_bench import receivers  # noqa: F401
    """,
    # The demo's receiver, word for word but for the import.
    "receivers.py": """
        from urllib.parse import urlencode

        from django.core.mail import send_mail
        from django.dispatch import receiver

        from django_rest_passwordreset.signals import reset_password_token_created


        @receiver(reset_password_token_created)
        def email_reset_token(sender, instance, reset_password_token, **kwargs):
            user = reset_password_token.user
            token = reset_password_token.key
            link = f"http://127.0.0.1:8000/reset/?{urlencode({'token': token})}"
            send_mail(
                subject="Reset your password",
                message=(
                    f"Hello {user.get_username()},\\n\\n"
                    f"someone (hopefully you) asked to reset your password. Open this link:\\n\\n"
                    f"    {link}\\n\\n"
                    f"or send this token to the API:\\n\\n"
                    f"    {token}\\n\\n"
                    f"If it was not you, ignore this e-mail: your password stays as it is.\\n"
                ),
                from_email=None,
                recipient_list=[user.email],
            )
    """,
    "wsgi.py": """
        import os

        from django.core.wsgi import get_wsgi_application

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upstream_bench.settings")
        application = get_wsgi_application()
    """,
}


def write_upstream_project(root: Path) -> None:
    package = root / "upstream_bench"
    package.mkdir()
    for name, text in UPSTREAM_FILES.items():
        (package / name).write_text(textwrap.dedent(text).lstrip())


@contextlib.contextmanager
def serve_resetkit(args: argparse.Namespace, workdir: Path) -> Iterator[Project]:
    db = Database("postgres", f"{args.db_prefix}_timing_resetkit")
    port, smtp_port = free_port(), free_port()
    sink = workdir / "resetkit-mail.log"
    env = django_env(
        {
            **db.env(),
            "BENCH_REDIS_URL": args.redis_url,
            "BENCH_SMTP_PORT": str(smtp_port),
            "BENCH_ISSUE_INLINE": "1" if args.inline else "0",
        }
    )
    db.create()
    try:
        manage(env, "migrate", "--verbosity", "0")
        manage(env, "shell", "-c", CREATE_USER)
        argv = gunicorn_argv("demo.wsgi:application", port, workers=args.workers,
                             threads=args.threads)  # fmt: skip
        with smtp_sink(smtp_port, sink), background(argv, env=env, name="resetkit") as log:
            wait_until_answering(port, REQUEST_URL, b"{}", log)
            yield Project("resetkit (inline)" if args.inline else "resetkit", port, sink)
    finally:
        db.drop()
        delete_redis_keys(args.redis_url, db.name)


@contextlib.contextmanager
def serve_upstream(args: argparse.Namespace, workdir: Path) -> Iterator[Project]:
    python = upstream_python(args.upstream_venv)
    db = Database("postgres", f"{args.db_prefix}_timing_upstream")
    port, smtp_port = free_port(), free_port()
    sink = workdir / "upstream-mail.log"
    write_upstream_project(workdir)
    env = dict(
        os.environ,
        **db.env(),
        BENCH_SMTP_PORT=str(smtp_port),
        DJANGO_SETTINGS_MODULE="upstream_bench.settings",
        PYTHONPATH=str(workdir),
    )
    db.create()
    try:
        manage(env, "migrate", "--verbosity", "0", python=python)
        manage(env, "shell", "-c", CREATE_USER, python=python)
        argv = gunicorn_argv("upstream_bench.wsgi:application", port, workers=args.workers,
                             threads=args.threads, python=python)  # fmt: skip
        with (
            smtp_sink(smtp_port, sink),
            background(argv, env=env, cwd=workdir, name="upstream") as log,
        ):
            wait_until_answering(port, REQUEST_URL, b"{}", log)
            yield Project("django-rest-passwordreset 1.6.0", port, sink)
    finally:
        db.drop()


# -- measuring --------------------------------------------------------------------------------


def timed_request(port: int, email: str) -> float:
    """Seconds from opening a connection to the answer's last byte; must be a 200."""
    body = json.dumps({"email": email}).encode()
    start = time.perf_counter()
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
    try:
        conn.request("POST", REQUEST_URL, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - start
    finally:
        conn.close()
    if response.status != 200:
        raise BenchmarkError(f"port {port} answered {response.status} for {email}")
    return elapsed


def measure(projects: Sequence[Project], args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    for _ in range(args.warm_up):
        for project in projects:
            timed_request(project.port, EXISTING)
            timed_request(project.port, UNKNOWN)
    plan = [(project, kind) for project in projects for kind in ("existing", "unknown")]
    for block in range(args.requests // 2):
        rng.shuffle(plan)
        for project, kind in plan:
            time.sleep(args.pause)
            email = EXISTING if kind == "existing" else UNKNOWN
            project.times[kind].append(timed_request(project.port, email))
        if (block + 1) % 50 == 0:
            print(f"  {block + 1}/{args.requests // 2} blocks", flush=True)
    time.sleep(2)  # resetkit e-mails after answering: let the last ones reach the sink


# -- statistics -------------------------------------------------------------------------------


def threshold_accuracy(existing: Sequence[float], unknown: Sequence[float], seed: int) -> float:
    """Held-out accuracy of the best one-threshold classifier, by 10-fold cross-validation.

    Each fold's threshold and direction ("slower means existing", or faster) are chosen on the
    other nine folds, then scored on it. Chance is 0.5.
    """
    x = np.array([*existing, *unknown])
    y = np.array([1] * len(existing) + [0] * len(unknown))
    order = np.random.default_rng(seed).permutation(len(x))
    folds = np.array_split(order, 10)
    correct = 0
    for held_out in folds:
        train = np.setdiff1d(order, held_out)
        threshold, slower_means_existing = fit_threshold(x[train], y[train])
        predicted = (x[held_out] > threshold) == slower_means_existing
        correct += int(np.sum(predicted == (y[held_out] == 1)))
    return correct / len(x)


def fit_threshold(x: np.ndarray, y: np.ndarray) -> tuple[float, bool]:
    """The threshold and direction with the best accuracy on ``(x, y)``."""
    values = np.sort(np.unique(x))
    candidates = np.concatenate(([values[0] - 1], (values[:-1] + values[1:]) / 2))
    above = x[None, :] > candidates[:, None]  # (candidates, samples)
    hits = np.sum(above == (y[None, :] == 1), axis=1)  # "slower means existing"
    best_up, best_down = int(np.argmax(hits)), int(np.argmin(hits))
    if hits[best_up] >= len(x) - hits[best_down]:
        return float(candidates[best_up]), True
    return float(candidates[best_down]), False


@dataclass
class Summary:
    median_existing_ms: float
    median_unknown_ms: float
    p_value: float
    accuracy: float
    emails: int

    @property
    def difference_ms(self) -> float:
        return self.median_existing_ms - self.median_unknown_ms


def summarise(project: Project, seed: int) -> Summary:
    existing, unknown = project.times["existing"], project.times["unknown"]
    return Summary(
        median_existing_ms=float(np.median(existing)) * 1000,
        median_unknown_ms=float(np.median(unknown)) * 1000,
        p_value=float(mannwhitneyu(existing, unknown, alternative="two-sided").pvalue),
        accuracy=threshold_accuracy(existing, unknown, seed),
        emails=len(count_lines(project.sink)),
    )


def report(projects: Sequence[Project], summaries: Sequence[Summary], args: argparse.Namespace):
    names = [p.name for p in projects]
    width = max(len(n) for n in names) + 2
    rows = [
        ("median, existing account", [f"{s.median_existing_ms:.2f} ms" for s in summaries]),
        ("median, unknown address", [f"{s.median_unknown_ms:.2f} ms" for s in summaries]),
        ("difference of medians", [f"{s.difference_ms:+.2f} ms" for s in summaries]),
        ("Mann-Whitney U p-value", [f"{s.p_value:.3g}" for s in summaries]),
        ("best threshold accuracy", [f"{s.accuracy:.1%}" for s in summaries]),
        ("e-mails the sink received", [str(s.emails) for s in summaries]),
    ]
    print()
    print(f"{args.requests} requests per project ({args.requests // 2} existing, "
          f"{args.requests // 2} unknown), interleaved; seed {args.seed}")  # fmt: skip
    print(f"gunicorn -w {args.workers} --threads {args.threads}, PostgreSQL, SMTP to a local "
          f"sink; {os.cpu_count()} CPUs, Python {platform.python_version()}")  # fmt: skip
    print()
    print(f"{'':<27}" + "".join(f"{n:>{width}}" for n in names))
    for label, cells in rows:
        print(f"{label:<27}" + "".join(f"{c:>{width}}" for c in cells))
    print("\naccuracy 50% = chance: the response time does not tell the two apart")


def main() -> int:
    args = parse_args()
    exit_on_sigterm()
    try:
        with tempfile.TemporaryDirectory(prefix="resetkit-timing-") as tmp:
            workdir = Path(tmp)
            with (
                serve_resetkit(args, workdir) as resetkit,
                serve_upstream(args, workdir) as upstream,
            ):
                print(f"measuring {args.requests} requests per project ...", flush=True)
                measure([resetkit, upstream], args)
                projects = [resetkit, upstream]
                summaries = [summarise(p, args.seed) for p in projects]
    except BenchmarkError as exc:
        exit_on(exc)
    report(projects, summaries, args)
    expected_emails = (args.requests // 2) + args.warm_up
    for project, summary in zip(projects, summaries, strict=True):
        if summary.emails != expected_emails:
            print(f"FAILED: {project.name} sent {summary.emails} e-mails, "
                  f"expected {expected_emails}")  # fmt: skip
            return 1
    if args.inline:
        print("control run (--inline): no accuracy limit applies")
        return 0
    if summaries[0].accuracy > args.max_accuracy:
        print(f"FAILED: resetkit's accuracy {summaries[0].accuracy:.1%} > {args.max_accuracy:.0%}")
        return 1
    print(f"ok: resetkit's accuracy {summaries[0].accuracy:.1%} <= {args.max_accuracy:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
