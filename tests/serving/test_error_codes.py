"""The error-code registry (:mod:`visitproof.error_codes`) is complete and has nothing stale:
every code the source can raise or answer is a member, every member is raised somewhere,
the OpenAPI document lists them as an enum, and an answer never carries another.

Codes are found by reading the source (AST), not by running it: a string constant (or an
upper-case module constant) given as ``code=``, assigned to ``code`` (class attributes,
locals) or as a value of a ``*_CODES`` dict, and the second argument of the import's
``fail(field, code, reason)``. The few codes built at run time are listed in
:data:`BUILT_AT_RUN_TIME` with where they come from.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from application.file_import import _REFERENCES
from serving.schemas import ErrorPublic
from tests.api_harness import Api
from vision.photo_decode import PhotoProblem
from visitproof.error_codes import ERROR_CODES, ErrorCode

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("visitproof", "vision", "geo", "phi", "application", "simulation", "serving",
            "cli")
CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,}")
# ``code=`` keywords that are not error codes: a coverage gap's reason, a verdict's reason.
NOT_ERRORS = frozenset({"GapReasonPublic", "Reason", "ReasonPublic", "reason"})
# module -> codes it builds from data rather than writes out
BUILT_AT_RUN_TIME = {
    # ErrorPublic(code=...) of the readiness problems: "<code>: text" (serving.runtime)
    "serving/runtime.py": {"MODEL_UNAVAILABLE"},
    # the row error of an unknown reference: f"UNKNOWN_{what.upper()}" (file_import)
    "application/file_import.py": {f"UNKNOWN_{what.upper()}"
                                   for references in _REFERENCES.values()
                                   for _, what, _ in references},
    # PhotoRejected(code=problem.value): the decoder's problems, refused as 422
    "vision/photo_decode.py": {problem.value for problem in PhotoProblem},
}


def sources() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def module_constants(trees: dict[Path, ast.Module]) -> dict[str, set[str]]:
    """Upper-case module-level names bound to a string (``BAD_TIMESTAMP = "..."``)."""
    constants: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id.isupper():
                        constants.setdefault(target.id, set()).add(node.value.value)
    return constants


def values(node: ast.AST | None, constants: dict[str, set[str]]) -> Iterator[str]:
    """The code strings an expression can evaluate to, as far as the source says."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.Name):
        yield from constants.get(node.id, ())
    elif isinstance(node, ast.IfExp):
        yield from values(node.body, constants)
        yield from values(node.orelse, constants)
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from values(value, constants)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "get" and len(node.args) == 2:
        yield from values(node.args[1], constants)  # a mapping's fallback code


def callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else ""


def codes_in_source() -> dict[str, set[str]]:
    """code -> the places (path:line) that raise or answer it."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sources()}
    constants = module_constants(trees)
    found: dict[str, set[str]] = {}

    def add(node: ast.AST | None, path: Path, line: int) -> None:
        for value in values(node, constants):
            found.setdefault(value, set()).add(f"{path.relative_to(ROOT)}:{line}")

    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                if callee(node) in NOT_ERRORS:
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        add(keyword.value, path, node.lineno)
                if callee(node) == "fail" and len(node.args) >= 2:
                    add(node.args[1], path, node.lineno)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id if isinstance(t, ast.Name) else
                         t.attr if isinstance(t, ast.Attribute) else "" for t in targets]
                if any(name == "code" or name.endswith("_CODES") for name in names):
                    add(node.value, path, node.lineno)
    for module, codes in BUILT_AT_RUN_TIME.items():
        for code in codes:
            found.setdefault(code, set()).add(module)
    return {code: places for code, places in found.items() if CODE.fullmatch(code)}


def test_every_code_in_the_source_is_registered() -> None:
    unregistered = {code: sorted(places) for code, places in codes_in_source().items()
                    if code not in ErrorCode.__members__}
    assert unregistered == {}


def test_every_registered_code_is_raised_somewhere() -> None:
    used = codes_in_source()
    assert sorted(code.value for code in ErrorCode if code.value not in used) == []


def test_the_walk_sees_codes_of_every_kind() -> None:
    """The reader finds what it is meant to (else the two tests above prove nothing)."""
    found = codes_in_source()
    assert "serving/errors.py" in " ".join(found["UNAUTHENTICATED"])  # class attribute
    assert "application/reports.py" in " ".join(found["TIME_ORDER"])  # code= literal
    assert "visitproof/values.py" in " ".join(found["LAT_OUT_OF_RANGE"])  # code=CONSTANT
    assert "serving/errors.py" in " ".join(found["MISSING_FIELD"])  # a *_CODES mapping
    assert "application/file_import.py" in " ".join(found["EXTRA_FIELDS"])  # fail(...)
    assert "NEVER_VISITED" not in found  # a coverage gap's reason, not an error


def test_every_code_has_a_description() -> None:
    assert set(ERROR_CODES) == set(ErrorCode)
    assert all(text.strip() and "\n" not in text for text in ERROR_CODES.values())
    assert all(code.name == code.value for code in ErrorCode)


def test_the_document_lists_the_codes_as_an_enum(api: Api) -> None:
    schemas = api.client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["ErrorCode"]["enum"]) == {code.value for code in ErrorCode}
    assert "`STALE_RULES_VERSION`" in schemas["ErrorCode"]["description"]
    for model in ("ErrorPublic", "ErrorDetail"):
        assert schemas[model]["properties"]["code"]["$ref"] == \
            "#/components/schemas/ErrorCode", model
    described = " ".join(schemas["ErrorPublic"]["description"].split())
    assert "``code`` is stable; ``message`` is for people and may be translated" in described


def test_a_code_outside_the_registry_is_refused_by_the_schema() -> None:
    with pytest.raises(ValueError, match="Input should be 'UNAUTHENTICATED'"):
        ErrorPublic(code="HTTP_418", message="a code nobody registered")
    assert ErrorPublic(code="TIME_ORDER", message="m").code is ErrorCode.TIME_ORDER


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("get", "/v1/checkins", 401, "UNAUTHENTICATED"),
    ("get", "/v1/no-such-path", 404, "NOT_FOUND"),
    ("delete", "/v1/checkins", 405, "METHOD_NOT_ALLOWED"),
    ("get", "/v1/checkins?bogus=1", 422, "UNKNOWN_FIELD"),
])
def test_answers_carry_registered_codes(api: Api, method: str, path: str, status: int,
                                        code: str) -> None:
    headers = {} if status == 401 else api.auth("rep")
    answer = api.client.request(method.upper(), path, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert answer.json()["code"] in ErrorCode.__members__
