"""Busywork: find the busywork in a small business's tools and rank the automations worth doing."""

__version__ = "0.1.0"
#: The store a worker, ``status`` or the ``procrastinate`` command uses when none is given.
DATABASE_URL_ENV = "BUSYWORK_DATABASE_URL"
