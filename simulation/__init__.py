"""Field-sales simulator: a seeded, labelled Hangzhou distributor for tests, demos and the
fraud evaluation. Nothing here is imported by the service."""
