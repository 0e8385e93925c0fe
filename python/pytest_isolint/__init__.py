"""pytest-isolint: run a pytest suite with ``pytest -n auto --dist loadgroup`` while keeping the tests
that isolint found sharing a resource (a fixed path, a database, a port) on one pytest-xdist worker.

The plugin is registered under the ``pytest11`` entry point ``isolint`` (``-p isolint``); see
``pytest_isolint.plugin``.
"""
