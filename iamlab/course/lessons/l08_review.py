"""08 · Review: the quiz (``iamlab.course.quiz``). No starting point, no graded exercise."""

from ..record import Lesson, Record

RECORD = Record(
    Lesson("08", "review", "Review", (
        "trace a request from the instance to a decision: profile, role, policies, action, resource;",
        "say which policy answers \"who may assume?\" and which answers \"what may it do?\";",
        "name the Terraform resource for each piece, and what it does;",
        "recognise the mistakes that cost beginners the most time.",
    ), None,
        summary="the whole chain on one page, and a quiz"),
)
