"""The API's routers; `core.api.app` mounts each under ``/api/ai`` and again at the short alias paths."""
