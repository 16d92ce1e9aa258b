"""The ASGI entry point for uvicorn/granian: `coordinator.asgi:app`."""

from coordinator.app import create_app

app = create_app()
