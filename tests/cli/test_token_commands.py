"""``visitproof tokens list / revoke`` as an operator runs them: a real process on a real
store, and the API answering the revoked token 401 at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from application.settings import Settings
from serving.app import create_app
from tests.subprocess_cli import run_visitproof as visitproof

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "company"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A store with the example reps and three tokens: a rep's, a manager's (expiring) and
    a director's."""
    data_dir = tmp_path_factory.mktemp("tokens") / "var"
    assert visitproof(data_dir, "init").returncode == 0
    imported = visitproof(data_dir, "import", "reps", str(EXAMPLES / "reps.geojson"))
    assert imported.returncode == 0, imported.stderr
    rep = json.loads(visitproof(data_dir, "tokens", "list", "--json").stdout)
    assert rep["tokens"] == []
    rep_id = _first_rep(data_dir)
    secrets = {}
    for name, arguments in (("rep", ("--user", rep_id, "--role", "rep")),
                            ("manager", ("--user", "m1", "--role", "manager", "--team", "t1",
                                         "--expires-days", "30")),
                            ("director", ("--user", "d1", "--role", "director"))):
        created = visitproof(data_dir, "tokens", "create", *arguments)
        assert created.returncode == 0, created.stderr
        secrets[name] = created.stdout.strip()
    return data_dir, secrets


def _first_rep(data_dir: Path) -> str:
    exported = visitproof(data_dir, "export", "reps")
    assert exported.returncode == 0, exported.stderr
    return exported.stdout.splitlines()[1].split(",")[0]


def _listed(data_dir: Path) -> list[dict[str, object]]:
    result = visitproof(data_dir, "tokens", "list", "--json")
    assert result.returncode == 0, result.stderr
    tokens: list[dict[str, object]] = json.loads(result.stdout)["tokens"]
    return tokens


def test_list_shows_every_token_but_never_its_secret(
        store: tuple[Path, dict[str, str]]) -> None:
    data_dir, secrets = store
    tokens = _listed(data_dir)
    assert [(t["role"], t["team"], t["revoked"]) for t in tokens] == [
        ("rep", None, False), ("manager", "t1", False), ("director", None, False)]
    assert [t["prefix"] for t in tokens] == [s[:8] for s in secrets.values()]
    assert [t["expires_at"] is None for t in tokens] == [True, False, True]
    assert {t["state"] for t in tokens} == {"active"}
    assert set(tokens[0]) == {"id", "prefix", "user", "role", "team", "created_at",
                              "expires_at", "revoked", "state"}
    table = visitproof(data_dir, "tokens", "list")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split()[:5] == ["id", "prefix", "user", "role", "team"]
    assert len(table.stdout.splitlines()) == 1 + len(tokens)
    for secret in secrets.values():
        assert secret not in table.stdout
        assert secret not in json.dumps(tokens)


def test_a_revoked_token_gets_401_at_once_and_revoking_twice_changes_nothing(
        store: tuple[Path, dict[str, str]]) -> None:
    data_dir, secrets = store
    director = next(t for t in _listed(data_dir) if t["role"] == "director")
    settings = Settings(data_dir=data_dir)
    headers = {"Authorization": f"Bearer {secrets['director']}"}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/v1/checkins", headers=headers).status_code == 200
        revoked = visitproof(data_dir, "tokens", "revoke", str(director["id"]))
        assert revoked.returncode == 0, revoked.stderr
        assert f"revoked token {director['id']}" in revoked.stdout
        refused = client.get("/v1/checkins", headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.json()["code"] == "UNAUTHENTICATED"
        # the other tokens still work
        manager = {"Authorization": f"Bearer {secrets['manager']}"}
        assert client.get("/v1/checkins", headers=manager).status_code == 200
    again = visitproof(data_dir, "tokens", "revoke", str(director["id"]))
    assert again.returncode == 0, again.stderr
    assert "already revoked: nothing changed" in again.stdout
    states = {t["role"]: (t["revoked"], t["state"]) for t in _listed(data_dir)}
    assert states == {"rep": (False, "active"), "manager": (False, "active"),
                      "director": (True, "revoked")}


@pytest.mark.parametrize(("arguments", "code"), [
    (("999",), "UNKNOWN_TOKEN"),
    (("0",), "UNKNOWN_TOKEN"),
    (("--", "-1"), "UNKNOWN_TOKEN"),
    (("abc",), "BAD_TOKEN_ID"),
    (("1.5",), "BAD_TOKEN_ID"),
    (("1", "--tenant", "globex"), "UNKNOWN_TOKEN"),  # another tenant's ids are not yours
])
def test_revoking_what_is_not_there_exits_2_with_a_code(
        store: tuple[Path, dict[str, str]], arguments: tuple[str, ...], code: str) -> None:
    data_dir, _ = store
    result = visitproof(data_dir, "tokens", "revoke", *arguments)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert f"error [{code}]" in result.stderr
    assert "Traceback" not in result.stderr
