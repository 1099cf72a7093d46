"""Use cases both edges call: submit and judge a check-in, re-verify stored ones, reports,
rules, product references, imports and the service settings."""
