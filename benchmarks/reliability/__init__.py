"""Reliability benchmarks of the HTTP service, each against a real server process on loopback
over a freshly seeded store (run from the repository root, ``make verify-reliability``):

    python -m benchmarks.reliability.fuzz_api            # schemathesis over the OpenAPI schema
    python -m benchmarks.reliability.crash_durability    # SIGKILL the server during uploads
    python -m benchmarks.reliability.soak --minutes 10   # mixed load at twice the peak

Each prints its figures and exits non-zero when a check fails.
"""
