"""The performance regime run in the open (DOMAIN.md section 11): improvement plans, and the
steps that act on members, built on the published ratings of app.performance."""
