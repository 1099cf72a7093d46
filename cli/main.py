"""Entry point of the ``visitproof`` command.

Each command group lives in its own module with a ``register(app)`` function; this module
only assembles them and turns visitproof's exceptions into exit codes and plain messages:
exit 2 for bad input, 3 for an unusable store.
"""

from __future__ import annotations

import sys

import typer

from cli import archive as archive_commands
from cli import demo as demo_commands
from cli import detector as detector_commands
from cli import fraud_eval as fraud_eval_commands
from cli import overlap as overlap_commands
from cli import phi as phi_commands
from cli import products as products_commands
from cli import reverify as reverify_commands
from cli import rules as rules_commands
from cli import serving_commands as http_commands
from cli import shelf as shelf_commands
from cli import simulate as simulate_commands
from cli import store_commands
from cli import synth as synth_commands
from visitproof.errors import ImportRejected, InvalidInput, StoreError

app = typer.Typer(
    name="visitproof",
    help="Verified field-sales check-ins, territory overlap and the Process Health Index.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

store_commands.register(app)
# Command groups added by later work register here, one line each.
phi_commands.register(app)
overlap_commands.register(app)
synth_commands.register(app)
detector_commands.register(app)
simulate_commands.register(app)
fraud_eval_commands.register(app)
shelf_commands.register(app)
products_commands.register(app)
http_commands.register(app)
demo_commands.register(app)
rules_commands.register(app)
reverify_commands.register(app)
archive_commands.register(app)


def main() -> None:
    """Run the CLI; visitproof errors become a message on stderr and an exit code."""
    try:
        app()
    except ImportRejected as error:
        typer.echo(f"error [{error.code}]: {error.message}", err=True)
        for row_error in error.errors:
            typer.echo(f"  {row_error}", err=True)
        sys.exit(2)
    except InvalidInput as error:
        typer.echo(f"error [{error.code}]: {error.message}", err=True)
        sys.exit(2)
    except StoreError as error:
        typer.echo(f"error [{error.code}]: {error.message}", err=True)
        sys.exit(3)


if __name__ == "__main__":
    main()
