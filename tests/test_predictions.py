"""Predict, then see: predictions are recorded before the answer, and compared after."""

from __future__ import annotations

import json


import iamlab
from iamlab.course import predictions


def test_a_prediction_is_recorded_and_compared(course_home):
    made = iamlab.predict("05-predict", {"login": "allowed", "pull:flask_app": "yes", "pull:reports_app": "Allowed"})
    assert made.answers == {"login": "allowed", "pull:flask_app": "allowed", "pull:reports_app": "allowed"}
    assert "is recorded" in str(made) and "iamlab-prediction" in made._repr_html_()
    stored = json.loads((course_home / "predictions.json").read_text())
    assert stored[-1]["name"] == "05-predict" and stored[-1]["compared"] is False
    assert predictions.pending().answers == made.answers
    result = made.compare({"login": "allowed", "pull:flask_app": "allowed", "pull:reports_app": "denied", "describe": "denied"})
    assert result.right == 2 and result.surprises == ["pull:reports_app"] and not result
    assert "✘ pull:reports_app: you predicted allowed, it was denied" in str(result)
    assert "surprise" in result._repr_html_()
    assert predictions.pending() is None  # compared: no longer pending
    assert predictions.recorded("05-predict")[0].compared


def test_an_empty_prediction_records_nothing(course_home):
    nothing = iamlab.predict("04-login", {"login": "", "pull:flask_app": "?"})
    assert not nothing and "write 'allowed' or 'denied'" in str(nothing) and "pull:flask_app" in str(nothing)
    assert "Not recorded yet" in nothing._repr_html_()
    assert predictions.recorded() == [] and predictions.pending() is None


def test_pending_is_the_newest_uncompared(course_home):
    first = iamlab.predict("04-login", {"login": "denied"})
    second = iamlab.predict("05-predict", {"login": "allowed"})
    assert predictions.pending().name == "05-predict"
    second.compare({"login": "allowed"})
    assert predictions.pending().made_at == first.made_at
