"""The HTTP and Ray Serve surface: parse, authorise, call the domain, map to schemas."""
