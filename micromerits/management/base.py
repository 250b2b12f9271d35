"""A base for the portal's commands: fixed exit codes and no tracebacks for bad input.

Exit 0 on success, 1 when the input is invalid (the problems on stderr, one a
line), 2 on wrong usage (argparse's own convention). Commands raise
``InvalidInput`` with the problems; anything else is a bug and may trace back.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError


class InvalidInput(Exception):
    """The command's input is wrong; ``problems`` are printed, one a line."""

    def __init__(self, problems):
        self.problems = [str(p) for p in (problems if isinstance(problems, list) else [problems])]
        super().__init__("\n".join(self.problems))


class PortalCommand(BaseCommand):
    """Runs ``handle`` and maps ``InvalidInput`` to exit status 1."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except InvalidInput as error:
            for problem in error.problems:
                self.stderr.write(problem)
            sys.exit(1)
        except CommandError as error:
            # Django's usage errors (bad arguments) keep status 2.
            self.stderr.write(str(error))
            sys.exit(error.returncode if error.returncode != 1 else 2)


def get_user_or_fail(username: str):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist as exc:
        raise InvalidInput(f"no user named {username!r}") from exc
