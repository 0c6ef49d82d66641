"""gunicorn's settings for the web processes: `gunicorn -c python:leadshare.gunicorn leadshare.wsgi -w 4 ...`.

The application is loaded once, in the master (preload_app), and the finder's snapshot built there before any
worker is forked, so every worker starts with it (shared copy-on-write) and is ready when it accepts its first
request; the multilingual encoder that embeds a search's need is loaded there too. freshness.prepare closes the
master's database connection: a forked worker opens its own.
"""

from __future__ import annotations

from typing import Any

preload_app = True


def when_ready(server: Any) -> None:
    """Run by the master once the application is loaded, before it forks the workers."""
    from finder import freshness, semantic

    freshness.prepare()
    semantic.warm()
