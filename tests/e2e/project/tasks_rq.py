"""Reset tokens are issued by RQ workers; the task queue lives in Redis."""

import os

INSTALLED_APPS = [
    # ... Django's apps, rest_framework, resetkit and your own apps, then:
    "django_tasks",  # not on Django 6.0+, which has django.tasks built in
    "django_rq",
    "django_tasks_rq",
]

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# django-rq's queues: every queue of the TASKS backend below must be one of them.
RQ_QUEUES = {
    "default": {"URL": REDIS_URL},
    "resets": {"URL": REDIS_URL},
}

# RQ runs each job in a new process: the account budget (ACCOUNT_TOKEN_RATE), counted in the
# default cache where the work runs, needs a cache shared by every job and every worker.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    },
}

TASKS = {
    "default": {
        "BACKEND": "django_tasks_rq.RQBackend",
        # Your other tasks run on "default"; resetkit's get a queue of their own.
        "QUEUES": ["default", "resets"],
    },
}

RESETKIT = {
    "ISSUE_EXECUTOR": {
        "CLASS": "resetkit.executors.TasksExecutor",
        "OPTIONS": {"backend": "default", "queue_name": "resets"},
    },
}
