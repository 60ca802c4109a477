"""Delete expired reset tokens in batches (the name keeps django-rest-passwordreset's spelling).

Schedule it (cron, a systemd timer, Celery beat) to keep the token table small. It deletes
batch by batch, so no statement holds locks for long and memory stays flat whatever the
backlog. Bulk deletes send no ``pre_delete``/``post_delete`` signals for the rows removed.
With the cache store there is nothing to do (entries expire by themselves) and it says so.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from resetkit.backends import get_token_store_class
from resetkit.backends.orm import ORMTokenStore
from resetkit.conf import resetkit_settings


class Command(BaseCommand):
    help = "Delete expired password reset tokens, in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Rows deleted per statement (default: RESETKIT['CLEANUP_BATCH_SIZE'], 1000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"] or resetkit_settings.CLEANUP_BATCH_SIZE
        if not isinstance(batch_size, int) or batch_size < 1:
            raise CommandError(f"The batch size must be a positive integer, not {batch_size!r}.")
        # The table is cleared whichever store is configured: a view may use its own store,
        # and an empty table costs one indexed query.
        store = ORMTokenStore()
        removed = 0
        while True:
            deleted = store.clear_expired(limit=batch_size)
            if not deleted:
                break
            removed += deleted
            if options["verbosity"] >= 2:
                self.stdout.write(f"Deleted a batch of {deleted} (total {removed}).")
        self.stdout.write(f"Removed {removed} expired password reset token(s).")
        if not issubclass(get_token_store_class(), ORMTokenStore) and options["verbosity"] >= 1:
            self.stdout.write(
                f"The configured store ({get_token_store_class().__name__}) expires tokens by "
                "itself; nothing else to clear."
            )
