#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadshare.settings")
    from django.core.management import execute_from_command_line

    from leadshare.envconfig import ConfigError

    try:
        execute_from_command_line(sys.argv)
    except ConfigError as exc:
        # A missing setting is the operator's to fix, not a bug: say what to set, without a traceback.
        sys.exit(f"Leadshare is not configured: {exc}")
