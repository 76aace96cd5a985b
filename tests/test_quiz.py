"""The review quiz: every option explains itself, and the widget grades as the data says."""

from __future__ import annotations

from iamlab.course.quiz import QUESTIONS


def test_every_wrong_option_has_its_own_explanation():
    for question in QUESTIONS:
        assert 0 <= question.correct < len(question.choices)
        whys = [choice.why for choice in question.choices]
        assert all(why.strip() for why in whys) and len(set(whys)) == len(whys), question.prompt
        for index, option in enumerate(question.options):
            right, feedback = question.grade(option)
            assert right == (index == question.correct)
            assert question.choices[index].why in feedback


def test_the_quiz_teaches_the_course_facts():
    text = " ".join(q.prompt + " ".join(c.text + c.why for c in q.choices) for q in QUESTIONS)
    assert "data.aws_ecr_repository.pull.arn" in text  # the data source main.tf declares
    assert "iam:PassRole" in text and "IMDSv2" in text and "SCP" in text
    [pull] = [q for q in QUESTIONS if q.prompt.startswith("How many permission checks")]
    assert pull.options[pull.correct].startswith("Three")


def test_the_widget_grades_each_question():
    from iamlab.widgets import Quiz

    quiz = Quiz()
    for number, question in enumerate(QUESTIONS, 1):
        assert quiz.answer(number, question.options[question.correct])
        wrong = next(o for i, o in enumerate(question.options) if i != question.correct)
        assert not quiz.answer(number, wrong)
        assert "Not quite" in quiz.items[number - 1].feedback.value
