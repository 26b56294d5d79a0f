"""The personal API: OpenAI-compatible, on loopback only, behind a bearer token."""
