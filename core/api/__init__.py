"""The REST API (FastAPI + uvicorn, port 5003): forecasts, the ensemble, training jobs.

``lydian serve`` runs it; ``core.api.app.create_app`` builds it for tests and embedding. This
package file imports nothing, so the training worker (``python -m core.api.worker``) starts
without loading the web stack.
"""
