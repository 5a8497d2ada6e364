"""The JSON routers, one per area; they call geo/ and answer schemas."""
