"""Solutions mode, for instructors' demos: every ``check()`` first fills in the reference
answer (typed-answer exercises) or applies the reference solution (exercises about the
account), so a live demo shows green checks without typing.

On with ``python -m iamlab solutions on`` (a flag file in the course home) or
``$IAMLAB_SOLUTIONS=1``; off with ``python -m iamlab solutions off``.
"""

from __future__ import annotations

import os

from .. import paths


def _flag():
    return paths.course_home() / ".solutions-mode"


def enabled() -> bool:
    if os.environ.get("IAMLAB_SOLUTIONS", "").strip().lower() in ("1", "true", "on", "yes"):
        return True
    return _flag().exists()


def switch(on: bool) -> None:
    if on:
        _flag().write_text("on\n")
    else:
        _flag().unlink(missing_ok=True)
