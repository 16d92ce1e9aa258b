"""The ASGI entry point for uvicorn/granian: `coordinator.asgi:app`."""

from coordinator.app import create_app, settle_collector

app = create_app()
settle_collector()
