"""``visitproof rules show|set``: a director's rules as data, from the command line.

    visitproof rules set rules.json --by d1 --note "November promotion"
    visitproof rules set rules.json --base-version 3   # only if 3 is still current
    visitproof rules show            # the current version, as JSON
    visitproof rules show --version 3

``set`` stores the file as the next version (the body format is :mod:`application.rules`');
a bad file stores nothing and exits 2 with the problem's code and field. Like
``POST /v1/rules`` it posts on a base version: ``--base-version N`` (0: the tenant's first
rules) when the file was edited from version N, else the version current when the command
runs. A stale base (someone stored another version since) stores nothing and exits 4 with
``STALE_RULES_VERSION`` and the current version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from application.rule_book import NO_VERSION, RuleBook, post_rules
from application.rules import RuleSet
from cli.options import (
    DataDirOption,
    TenantOption,
    current_store,
    settings_for,
)
from visitproof.errors import InvalidInput, NotFound, StaleRulesVersion
from visitproof.values import utc_now

STALE_EXIT = 4
"""Exit status of ``rules set`` on a stale base version (2 is bad input, 3 the store)."""

rules_app = typer.Typer(help="Rules as data: featured SKUs, golden zones, evidence.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")


@rules_app.command("show")
def show(
    version: Annotated[int | None, typer.Option(
        "--version", help="A stored version (default: the current one).",
        show_default=False)] = None,
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
) -> None:
    """Print a version of the tenant's rules as JSON (the current one by default)."""
    settings = settings_for(data_dir, tenant)
    with current_store(settings) as database, database.connect() as connection:
        rule_sets = RuleBook(connection, settings.tenant)
        rules = rule_sets.current() if version is None else rule_sets.get(version)
    if rules is None:
        which = "no rules yet" if version is None else f"no rules version {version}"
        raise NotFound(f"tenant {settings.tenant!r} has {which}; store a file with "
                       "`visitproof rules set FILE`")
    typer.echo(json.dumps(rules_json(rules), indent=2, ensure_ascii=False))


@rules_app.command("set")
def set_rules(
    file: Annotated[Path, typer.Argument(help="The rules as JSON (see visitproof/rules.py).",
                                         show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Who sets them (stored as created_by).")
                  ] = "cli",
    note: Annotated[str | None, typer.Option(help="Why (stored with the version).")] = None,
    base_version: Annotated[int | None, typer.Option(
        "--base-version", min=NO_VERSION,
        help="The version FILE was edited from (0: the tenant's first rules); refused "
        "(exit 4) if another version was stored since. Default: the current one.",
        show_default=False)] = None,
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
) -> None:
    """Store FILE as the next version of the tenant's rules; it judges uploads from now on."""
    try:
        body = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"{file}: can't read the rules as JSON: {error}",
                           code="BAD_JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput(f"{file}: the rules must be a JSON object", code="BAD_JSON")
    settings = settings_for(data_dir, tenant)
    with current_store(settings) as database:
        if base_version is None:
            with database.connect() as connection:
                base_version = RuleBook(connection, settings.tenant).latest_version() \
                    or NO_VERSION
        try:
            rules = post_rules(database, settings.tenant, body, base_version=base_version,
                               created_by=by, now=utc_now(), note=note)
        except StaleRulesVersion as stale:
            typer.echo(f"error [{stale.code}]: {stale.message}; see it with `visitproof "
                       f"rules show`", err=True)
            raise typer.Exit(STALE_EXIT) from None
    typer.echo(f"stored rules version {rules.version} for tenant {settings.tenant} "
               f"(edited from version {base_version})")


def rules_json(rules: RuleSet) -> dict[str, Any]:
    """A stored version as JSON: its metadata and its body."""
    return {"version": rules.version,
            "created_at": None if rules.created_at is None else rules.created_at.isoformat(),
            "created_by": rules.created_by, "note": rules.note, **dict(rules.body)}
