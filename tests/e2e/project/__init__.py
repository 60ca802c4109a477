"""The project the end-to-end tests serve: resetkit's URLs, a task backend, real workers."""
