"""Virtualenvs, scratch databases and the agent: the plumbing of ``run.py``.

Two virtualenvs live under ``.bench/`` (git-ignored): one with resetkit installed from this
checkout (editable), one with django-rest-passwordreset 1.6.0 from PyPI. Both get the same
Django and DRF versions, psycopg, redis and gunicorn, so the libraries are the only
difference. Scratch PostgreSQL databases are named ``bench_perf_*`` and dropped at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BENCH_DIR = REPO / ".bench"
UPSTREAM = "django-rest-passwordreset==1.6.0"
COMMON = ["psycopg[binary]>=3.1.8", "redis>=5.0", "gunicorn>=22.0"]
# resetkit's task executor on Django 5.2: the Tasks backport and its database backend, whose
# worker (``db_worker``) the throughput section runs beside gunicorn.
TASKS = ["django-tasks>=0.12", "django-tasks-db>=0.13"]
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
IMPLS = ("upstream", "resetkit")


class BenchError(RuntimeError):
    """A set-up step failed; the message says which."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _pip(python: Path, *args: str) -> None:
    command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    result = subprocess.run([*command, *args], capture_output=True, text=True, check=False)
    if result.returncode:
        raise BenchError(f"pip install {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def _venv(name: str) -> Path:
    path = BENCH_DIR / f"venv-{name}"
    python = path / "bin" / "python"
    if not python.exists():
        log(f"creating {path}")
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        _pip(python, "--upgrade", "pip")
    return python


def _installed(python: Path, *names: str) -> dict[str, str]:
    code = (
        "import json, importlib.metadata as m\n"
        "out = {}\n"
        f"for n in {list(names)!r}:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))"
    )
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    found: dict[str, str] = json.loads(result.stdout)
    return found


def ensure_venvs() -> dict[str, Path]:
    """Build (or reuse) both virtualenvs; return each implementation's interpreter."""
    BENCH_DIR.mkdir(exist_ok=True)
    resetkit = _venv("resetkit")
    stamp = BENCH_DIR / "venv-resetkit" / ".installed"
    pyproject = REPO / "pyproject.toml"
    stale = not stamp.exists() or stamp.stat().st_mtime < pyproject.stat().st_mtime
    if stale or "django-tasks-db" not in _installed(resetkit, "django-tasks-db"):
        log("installing resetkit (editable) into .bench/venv-resetkit")
        _pip(resetkit, "-e", f"{REPO}[postgres,redis]", *COMMON, *TASKS)
        stamp.touch()
    versions = _installed(resetkit, "Django", "djangorestframework")
    upstream = _venv("upstream")
    wanted = {**versions, "django-rest-passwordreset": "1.6.0"}
    if _installed(upstream, *wanted) != wanted:
        log(f"installing {UPSTREAM} with Django {versions['Django']} into .bench/venv-upstream")
        pins = [f"{name}=={version}" for name, version in versions.items()]
        _pip(upstream, UPSTREAM, *pins, *COMMON)
    return {"resetkit": resetkit, "upstream": upstream}


@dataclass
class Target:
    """One implementation, one store, one database: where the agent and gunicorn run."""

    impl: str
    python: Path
    site: Path
    db_engine: str  # "postgres" or "sqlite"
    db_name: str  # database name, or SQLite file path
    store: str = "orm"
    extra_env: dict[str, str] | None = None

    @property
    def label(self) -> str:
        return self.impl if self.store == "orm" else f"{self.impl} ({self.store} store)"

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "PYTHONPATH": f"{self.site}{os.pathsep}{HERE}",
            "DJANGO_SETTINGS_MODULE": "benchsite.settings",
            "BENCH_IMPL": self.impl,
            "BENCH_STORE": self.store,
            "BENCH_DB_ENGINE": self.db_engine,
            "BENCH_DB_NAME": self.db_name,
            "BENCH_REDIS_URL": REDIS_URL,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.update(self.extra_env or {})
        return env

    def agent(self, *args: str, timeout: float = 1800) -> Any:
        """Run ``perf_agent.py`` with this target; return its JSON result."""
        command = [str(self.python), str(HERE / "perf_agent.py"), *args]
        result = subprocess.run(
            command, env=self.env(), capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode:
            raise BenchError(
                f"agent {' '.join(args)} for {self.label} failed:\n{result.stderr[-4000:]}"
            )
        return json.loads(result.stdout.strip().splitlines()[-1])

    def bin(self, name: str) -> str:
        return str(self.python.parent / name)


# -- PostgreSQL ---------------------------------------------------------------------------------


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        conn.execute(sql)


def create_database(name: str) -> None:
    if not name.startswith("bench_perf_"):
        raise BenchError(f"refusing to touch database {name!r}: not a bench_perf_* name")
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    if name.startswith("bench_perf_"):
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_log_path() -> Path | None:
    """The server log (Debian writes stderr to /var/log/postgresql/), if readable."""
    import psycopg

    with psycopg.connect(dbname="postgres", **PG) as conn:  # type: ignore[arg-type]
        version = conn.execute("SHOW server_version_num").fetchone()
        current = conn.execute("SELECT pg_current_logfile()").fetchone()
        data_dir = conn.execute("SHOW data_directory").fetchone()
    candidates = []
    if current and current[0] and data_dir:
        candidates.append(Path(data_dir[0]) / current[0])
    if version:
        major = int(version[0]) // 10000
        candidates.append(Path(f"/var/log/postgresql/postgresql-{major}-main.log"))
    for path in candidates:
        if path.exists() and os.access(path, os.R_OK):
            return path
    return None


def machine() -> str:
    """A one-line description of this machine, for the report."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){memory}, shared"
