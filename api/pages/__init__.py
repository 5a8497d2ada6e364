"""HTML pages served by the app (not in the OpenAPI document)."""
