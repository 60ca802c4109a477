"""Delete expired reset tokens in batches (the name keeps django-rest-passwordreset's spelling).

Schedule it (cron, a systemd timer, Celery beat) to keep the token table small. It deletes
batch by batch, each batch one raw ``DELETE`` (a run of pages on PostgreSQL, the oldest rows
elsewhere), so no statement holds locks for long, the last batch costs what the first did, and
memory stays flat whatever the backlog. Bulk deletes send no ``pre_delete``/``post_delete``
signals for the rows removed (``QuerySet.delete()`` would load every row into Python to send
them).
With the cache store there is nothing to do (entries expire by themselves) and it says so.
"""

import time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from resetkit.backends import BaseTokenStore, get_table_token_store, get_token_store
from resetkit.conf import SETTING_NAME, resetkit_settings


class Command(BaseCommand):
    help = "Delete expired password reset tokens, in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Rows deleted per statement (default: RESETKIT['CLEANUP_BATCH_SIZE'], 10000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        source = "--batch-size"
        if batch_size is None:
            batch_size = resetkit_settings.CLEANUP_BATCH_SIZE
            source = f"{SETTING_NAME}['CLEANUP_BATCH_SIZE']"
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise CommandError(f"{source} must be a positive integer, not {batch_size!r}.")
        verbosity: int = options["verbosity"]

        try:
            configured = get_token_store()
            # The table is cleared whichever store is configured: a view may use its own
            # store, and an empty table costs one indexed query.
            stores: list[BaseTokenStore] = [configured]
            if not configured.lists_tokens:
                stores.append(get_table_token_store())
            removed = sum(self.clear(store, batch_size, verbosity) for store in stores)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc

        if verbosity >= 1:
            self.stdout.write(f"Removed {removed} expired password reset token(s).")
            if configured.expires_by_itself:
                self.stdout.write(
                    f"The configured store ({type(configured).__name__}) expires its tokens "
                    "itself; the token table was cleared too, in case a view uses it."
                )

    def clear(self, store: BaseTokenStore, batch_size: int, verbosity: int) -> int:
        """Delete ``store``'s expired tokens ``batch_size`` at a time; return how many."""
        removed = 0
        started = time.perf_counter()
        for deleted in store.clear_expired_in_batches(batch_size):
            removed += deleted
            if verbosity >= 2:
                now = time.perf_counter()
                self.stdout.write(
                    f"Deleted a batch of {deleted} (total {removed}) in "
                    f"{(now - started) * 1000:.1f} ms."
                )
                started = now
        return removed
