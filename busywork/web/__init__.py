"""The HTTP side of ``busywork serve``: one Starlette app, run by uvicorn."""
