"""The ``visitproof`` command line. One module per command group, registered in ``main``."""
