"""`certcli backup`: a consistent copy of the live database."""

from pathlib import Path
from typing import Annotated

import typer

from certcli.cli.common import handles_errors, settings

# This module's top-level commands. Each is also listed in certcli.cli.COMMANDS, which builds it when used.
app = typer.Typer()


@app.command()
@handles_errors
def backup(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(metavar="FILE", help="Backup file to write, e.g. certcli-2026-12-04.db.")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Write a consistent copy of the database to FILE, safe while other commands write.

    The copy uses SQLite's backup API, never a plain file copy. It is one self-contained
    file (no -wal beside it) readable by its owner only, passes PRAGMA integrity_check,
    and appears under FILE only when complete. To restore, stop the writers, copy FILE over
    the database file (or point --db at it) and run `certcli check --integrity`.

    Example (cron): certcli backup /var/backups/certcli/certcli-$(date +%F).db
    """
    from certcli.backup import backup_database

    run = settings(ctx)
    result = backup_database(run.db_path, target, force=force)
    run.output.message(f"Backed up {result.records} record(s) from {run.db_path} to {result.path} "
                       f"({result.size:,} bytes)")
