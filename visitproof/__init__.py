"""visitproof: verified field-sales check-ins, territory overlap and the Process Health Index.

The core package holds the domain records (:mod:`visitproof.records`), the store
(:mod:`visitproof.store`), settings and the CLI. Verification lives in ``vision/`` and
``geo/``, scoring in ``phi/``, the HTTP and Ray Serve surface in ``serving/``.
"""

__version__ = "0.1.0"
