"""The HTTP app and the command line: routers, dependencies, schemas, error mapping. No SQL."""
