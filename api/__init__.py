"""The HTTP app: routes, schemas, pages, middleware, dependencies, error mapping. No SQL."""
