"""Request and answer shapes of the routers (pydantic), for /openapi.json."""
