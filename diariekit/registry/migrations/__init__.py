"""Alembic migrations of the registry (run programmatically by ``diariekit.registry.migrate``).

There is no ``alembic.ini``: :func:`diariekit.registry.migrate.alembic_config` builds the
configuration in code and hands the open connection to ``env.py``. Revisions in ``versions/``
are frozen history: they never import ``schema.py``, and each later change to ``schema.py``
comes with a new revision (``tests/registry/test_migrations.py`` checks that they agree).
"""
