"""GPS and time: fix integrity, routes, territory overlap and coverage. Distances and areas
only after projecting to a metric CRS; naive timestamps raise."""
