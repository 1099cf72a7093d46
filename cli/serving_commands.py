"""``visitproof tokens create / list / revoke`` and ``visitproof serve``: running the HTTP
API.

``tokens list`` shows each token's id, its first characters, user, role, team, creation,
expiry and whether it is revoked (``--json`` for a script), never the secret.
``tokens revoke ID`` revokes one at once (the next request with it gets 401); revoking a
revoked token changes nothing and says so; an id the tenant lacks exits 2
(``UNKNOWN_TOKEN``).

``serve`` hosts the FastAPI app on Ray Serve, the detector as its own batched deployment
(:mod:`serving.ray_app`): a local Ray is started, in Serve's high-throughput mode
(:mod:`serving.ray_environment`), unless ``--address`` joins a cluster.
``--no-ray`` runs the same app under uvicorn in this one process instead (no Ray start: a
quick way to try the API, or to run it under another process manager), behind the listener
of :mod:`serving.listener` (slow headers timed out, see :mod:`serving.slow_clients`).

On Ray with HAProxy, each ingress replica also listens on a port of its own (30000-31000 by
default), on the same interface as ``--host``: HAProxy forwards to it. With a public
``--host`` those ports are public too; the app refuses requests on them from anything but
this machine and the Ray cluster's nodes (:class:`serving.ray_app.InternalPeersOnly`), and
a firewall should keep them closed to the outside.
"""

from __future__ import annotations

import ipaddress
import json
import signal
from datetime import datetime, timedelta
from typing import Annotated

import typer

from application.settings import Settings
from cli.options import (
    DataDirOption,
    TenantOption,
    current_store,
    open_current_store,
    settings_for,
)
from visitproof.errors import InvalidInput, InvalidValue
from visitproof.values import utc_now

tokens_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(tokens_app, name="tokens")
    app.command("serve")(serve)


@tokens_app.command("create")
def create_token(
    user: Annotated[str, typer.Option(help="User id; for a rep, the rep id.")],
    role: Annotated[str, typer.Option(help="rep, manager, director or admin.")],
    team: Annotated[str | None, typer.Option(help="The manager's team id.")] = None,
    expires_days: Annotated[float | None, typer.Option(
        help="Days until the token expires (default: never).")] = None,
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
) -> None:
    """Create a bearer token and print it: it is shown this once, only its hash is kept."""
    from serving.auth import issue_token

    settings = settings_for(data_dir, tenant)
    now = utc_now()
    expires_at = now + timedelta(days=expires_days) if expires_days is not None else None
    with current_store(settings) as database:
        token = issue_token(database, tenant_id=settings.tenant, user_id=user, role=role,
                            team_id=team, expires_at=expires_at, now=now)
    typer.echo(token)


@tokens_app.command("list")
def list_tokens_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
) -> None:
    """List the tenant's tokens (id, prefix, user, role, team, created, expires, revoked);
    never the secret."""
    from serving.auth import list_tokens

    settings = settings_for(data_dir, tenant)
    now = utc_now()
    with current_store(settings) as database:
        tokens = list_tokens(database, settings.tenant)
    if as_json:
        typer.echo(json.dumps({"tenant": settings.tenant,
                               "tokens": [t.as_json(now) for t in tokens]}, indent=2))
        return
    if not tokens:
        typer.echo(f"tenant {settings.tenant!r} has no tokens; create one with "
                   "`visitproof tokens create`")
        return
    rows = [(str(t.id), f"{t.prefix}…", t.user_id, t.role.value, t.team_id or "-",
             _minute(t.created_at), _minute(t.expires_at) if t.expires_at else "never",
             "yes" if t.revoked else "no", t.state(now)) for t in tokens]
    header = ("id", "prefix", "user", "role", "team", "created (UTC)", "expires (UTC)",
              "revoked", "state")
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                       strict=True)).rstrip())


@tokens_app.command("revoke")
def revoke_token_command(
    token_id: Annotated[str, typer.Argument(metavar="ID",
                                            help="The token's id (`visitproof tokens list`).")],
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
) -> None:
    """Revoke a token now: the next request with it gets 401. Revoking twice is harmless."""
    from serving.auth import revoke_token

    try:
        number = int(token_id)
    except ValueError:
        raise InvalidValue("ID", f"expected a token id (a whole number from `visitproof "
                           f"tokens list`), got {token_id!r}", code="BAD_TOKEN_ID") from None
    settings = settings_for(data_dir, tenant)
    with current_store(settings) as database:
        changed = revoke_token(database, settings.tenant, number)
    if changed:
        typer.echo(f"revoked token {number}: requests with it now get 401")
    else:
        typer.echo(f"token {number} was already revoked: nothing changed")


def _minute(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    use_ray: Annotated[bool, typer.Option(
        "--ray/--no-ray", help="Host on Ray Serve (starts a local Ray unless --address); "
        "--no-ray: plain uvicorn in this process.")
    ] = True,
    address: Annotated[str | None, typer.Option(
        help="Join this Ray cluster (implies --ray), e.g. ray://head:10001 or auto.")] = None,
    detector_replicas: Annotated[int, typer.Option(
        min=1, help="Ray: detector replicas (one ONNX session each).")] = 2,
    detector_threads: Annotated[int, typer.Option(
        min=1, max=64, help="Ray: ONNX Runtime threads per detector replica.")] = 1,
    max_batch_size: Annotated[int, typer.Option(
        min=1, max=64, help="Ray: most images per detector call (those that arrive within "
        "10 ms).")] = 8,
    data_dir: DataDirOption = None,
) -> None:
    """Serve the HTTP API (docs at http://HOST:PORT/docs)."""
    settings = settings_for(data_dir)
    open_current_store(settings).dispose()  # fail here, with the CLI's message, if not ready
    if use_ray or address is not None:
        _serve_on_ray(settings, host, port, address, {
            "detector_replicas": detector_replicas, "detector_threads": detector_threads,
            "max_batch_size": max_batch_size})
        return
    import uvicorn

    from serving.app import create_app
    from serving.listener import listener_config
    from serving.slow_clients import ClientTimeouts

    uvicorn.Server(listener_config(create_app(settings), host=host, port=port,
                                   timeouts=ClientTimeouts.of(settings))).run()


def _serve_on_ray(settings: Settings, host: str, port: int, address: str | None,
                  tuning: dict[str, int]) -> None:
    from serving.ray_environment import use_throughput_mode

    # A local Ray runs in Serve's high-throughput mode unless turned off; a cluster as it is.
    mode = use_throughput_mode() if address is None else {}
    try:
        import ray
        from ray import serve as ray_serve
    except ImportError:
        raise InvalidInput("--ray needs Ray Serve: pip install 'ray[serve]'",
                           code="RAY_MISSING") from None
    from serving.ray_app import RayAppArgs, build_app

    ray.init(address=address)
    ray_serve.start(http_options={"host": host, "port": port})
    args = RayAppArgs(data_dir=str(settings.data_dir.resolve()),
                      database_url=settings.database_url,
                      detector_model=str(settings.resolved_detector_model), **tuning)
    # SIGTERM (and SIGINT, which a background job inherits ignored) become
    # KeyboardInterrupt, so Serve and the local Ray are shut down, not orphaned.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    typer.echo(f"serving on Ray at http://{host}:{port} (docs at /docs); Ctrl-C stops")
    if mode:
        typer.echo("Ray Serve: " + ", ".join(f"{name}={value}" for name, value in mode.items()))
    if not _is_loopback(host):
        typer.echo(f"note: the ingress replicas' own ports listen on {host} too; they answer "
                   "only this machine and the Ray nodes, and a firewall should close them "
                   "(RAY_SERVE_DIRECT_INGRESS_MIN_HTTP_PORT..MAX_HTTP_PORT, 30000-31000)")
    try:
        ray_serve.run(build_app(args), name="visitproof", route_prefix="/", blocking=True)
    except KeyboardInterrupt:
        typer.echo("stopping")
    finally:
        ray_serve.shutdown()  # type: ignore[no-untyped-call]  # untyped in ray
        ray.shutdown()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
