"""Sori assembled: the application factory (``flask --app sori``) and the ``sori`` command.

``sori.app`` is the composition root that names every part; ``sori.cli`` is the console script over the
same commands; ``sori.demo`` puts the parts' demo content together. It may import every part;
no part imports it.
"""

from sori.app import create_app

__all__ = ["create_app"]
