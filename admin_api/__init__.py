"""The moderators' HTTP API (FastAPI routers on core services), mounted by the composition root."""
