"""``visitproof phi`` and ``visitproof overlap`` options at the edges of the calendar: a
period, day or ``--now`` outside the years 1970 to 2199 stops the command with its code and
a message naming the years (exit code 2 through the real command), never a traceback; the
edges themselves are answered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli import overlap, phi
from tests.phi.test_cli import data_dir  # noqa: F401 (the fixture: a Berlin tenant)
from tests.subprocess_cli import run_visitproof
from visitproof.errors import InvalidInput

NOW = "2026-12-01T12:00:00+00:00"
YEARS = "1970 to 2199"


def _invoke(group: str, folder: Path, *args: str) -> str:
    app = typer.Typer()
    (phi if group == "phi" else overlap).register(app)
    app.command("noop")(lambda: None)  # a second command keeps the group a named one
    result = CliRunner().invoke(app, [group, *args, "--data-dir", str(folder),
                                      "--tenant", "acme"])
    if result.exception is not None:
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize(("args", "code"), [
    (("--period", "0001-01"), "BAD_PERIOD"),
    (("--period", "0001-W01"), "BAD_PERIOD"),
    (("--period", "9999-12"), "BAD_PERIOD"),
    (("--period", "9999-W53"), "BAD_PERIOD"),
    (("--period", "2026-11-01..9999-12-31"), "BAD_PERIOD"),
    (("--period", "1969-12-31..1970-01-31"), "BAD_PERIOD"),
    (("--period", "2026-11", "--now", "0001-01-01T00:00:00+08:00"), "BAD_TIMESTAMP"),
    (("--period", "2026-11", "--now", "9999-12-31T23:59:59-12:00"), "BAD_TIMESTAMP"),
    (("--period", "2026-11", "--now", "2200-01-01T00:00:00Z"), "BAD_TIMESTAMP"),
])
@pytest.mark.parametrize("command", [(), ("explain", "--rep", "r1")])
def test_phi_options_outside_the_calendar(data_dir: Path, command: tuple[str, ...],  # noqa: F811
                                          args: tuple[str, ...], code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        _invoke("phi", data_dir, *command, *args)
    assert raised.value.code == code
    assert YEARS in raised.value.message


@pytest.mark.parametrize("period", ["1970-01", "1970-W01", "2199-12", "2199-W52",
                                    "1970-01-01..2199-12-31"])
def test_phi_at_the_calendars_edges(data_dir: Path, period: str) -> None:  # noqa: F811
    data = json.loads(_invoke("phi", data_dir, "--period", period, "--now", NOW,
                              "--trend", "24"))
    assert data["period"]["label"] == period
    assert all(label >= "1970" for label in data["trend_periods"])


@pytest.mark.parametrize(("args", "code"), [
    (("--from", "0001-01-01", "--to", "2026-11-30"), "BAD_DATE"),
    (("--from", "2026-11-01", "--to", "9999-12-31"), "BAD_DATE"),
    (("--from", "1969-12-31", "--to", "2026-11-30"), "BAD_DATE"),
    (("--from", "2026-11-01", "--to", "2200-01-01"), "BAD_DATE"),
    (("--from", "2026-11-01", "--to", "2026-11-30", "--now", "0001-01-01T00:00:00+08:00"),
     "BAD_TIMESTAMP"),
    (("--from", "2026-11-01", "--to", "2026-11-30", "--now", "9999-12-31T23:59:59-12:00"),
     "BAD_TIMESTAMP"),
])
def test_overlap_options_outside_the_calendar(data_dir: Path,  # noqa: F811
                                              args: tuple[str, ...], code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        _invoke("overlap", data_dir, "--json", *args)
    assert raised.value.code == code
    assert YEARS in raised.value.message
    assert raised.value.message.startswith(("--from", "--to", "--now"))


@pytest.mark.parametrize(("first", "last"), [("1970-01-01", "1970-01-03"),
                                             ("2199-12-29", "2199-12-31")])
def test_overlap_at_the_calendars_edges(data_dir: Path, first: str,  # noqa: F811
                                        last: str) -> None:
    data = json.loads(_invoke("overlap", data_dir, "--json", "--from", first, "--to", last,
                              "--now", NOW))
    assert data["reps"] == []  # nothing was visited then


@pytest.mark.parametrize(("args", "code"), [
    (("phi", "--period", "0001-W01"), "BAD_PERIOD"),
    (("overlap", "--from", "9999-12-31", "--to", "9999-12-31", "--json"), "BAD_DATE"),
])
def test_the_command_says_so_and_exits_2(data_dir: Path, args: tuple[str, ...],  # noqa: F811
                                         code: str) -> None:
    result = run_visitproof(data_dir, *args, VISITPROOF_TENANT="acme")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error [{code}]: ")
    assert YEARS in result.stderr
    assert "Traceback" not in result.stderr
