"""The course's lessons, one record each (``lNN_*.py``, each holding ``RECORD``), found here in
file-name order. The engine reads only these tables:

- ``LESSONS``: the manifest entries (``manifest``);
- ``STAGES``: where each lesson starts, by stage name (``stages.goto``);
- ``EXERCISES``: every exercise by id (``checks``), and ``REFERENCES`` those with a reference
  solution (``solution()``, solutions mode, the ``%%tf`` magic);
- ``GATES``: each lesson's predictions, asked before their reveal (``predictions``).
"""

from __future__ import annotations

import importlib
import pkgutil

from ..record import Exercise, PredictionGate, Record, Reference, Stage


def _records() -> tuple[Record, ...]:
    modules = sorted(info.name for info in pkgutil.iter_modules(__path__) if info.name.startswith("l"))
    return tuple(importlib.import_module(f"{__name__}.{name}").RECORD for name in modules)


RECORDS: tuple[Record, ...] = _records()
LESSONS = tuple(record.lesson for record in RECORDS)
STAGES: dict[str, Stage] = {record.lesson.stage: record.stage for record in RECORDS if record.stage is not None}
EXERCISES: dict[str, Exercise] = {exercise.name: exercise for record in RECORDS for exercise in record.exercises}
REFERENCES: dict[str, Reference] = {name: exercise.reference for name, exercise in EXERCISES.items() if exercise.reference}
GATES: dict[str, tuple[PredictionGate, ...]] = {record.lesson.number: record.predictions for record in RECORDS if record.predictions}


def exercise_writing(file_name: str, exercise: str | None = None) -> Exercise | None:
    """The exercise whose reference writes ``file_name``: the named one's, else the first writing it."""
    if exercise is not None:
        found = EXERCISES.get(exercise)
        return found if found and found.reference and file_name in found.reference.files else None
    return next((e for e in EXERCISES.values() if e.reference and file_name in e.reference.files), None)
