"""ficindex logs through :mod:`logging`, under the ``ficindex`` logger; the program decides where.

The library only creates records: DEBUG for each work and listing page
stored, INFO for a work or listing that failed and for periodic progress,
WARNING for notices (a lowered rate, a stop requested). A program importing
ficindex attaches its own handler to ``logging.getLogger("ficindex")``; until
one does, nothing is printed (the NullHandler below keeps Python's last-resort
handler from writing warnings to stderr). The ``ficindex`` command configures
it from ``-v``, ``-q`` and ``--log-file``.
"""

from __future__ import annotations

import logging

ROOT = "ficindex"
logging.getLogger(ROOT).addHandler(logging.NullHandler())
