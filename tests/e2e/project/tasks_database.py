"""Reset tokens are issued by django-tasks-db workers; the task queue is a database table."""

INSTALLED_APPS = [
    # ... Django's apps, rest_framework, resetkit and your own apps, then:
    "django_tasks",  # not on Django 6.0+, which has django.tasks built in
    "django_tasks_db",
]

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
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
