"""The command line every benchmark starts from (run them as ``python -m benchmarks.NAME``)."""

from __future__ import annotations

import argparse
from typing import Any


def command_line(doc: str | None, **options: Any) -> argparse.ArgumentParser:
    """A parser described by the first line of ``doc``, with ``--some-name`` for each keyword.

    A value is the option's default and sets its type (``False``: a flag); a type instead of
    a value (``data=Path``) makes the option required. Options that need more (``nargs``,
    help, a ``None`` default) are added to the returned parser as usual.
    """
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, type):
            parser.add_argument(flag, type=value, required=True)
        elif isinstance(value, bool):
            parser.add_argument(flag, action="store_true", default=value)
        else:
            parser.add_argument(flag, type=type(value), default=value)
    return parser
