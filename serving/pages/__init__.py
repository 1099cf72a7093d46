"""Server-rendered manager pages: layout, error page and the check-in pages."""
