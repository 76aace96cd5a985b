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


def test_the_score_names_the_reading_to_reopen_per_wrong_answer():
    import re
    from pathlib import Path

    from iamlab.course import hints, quiz

    root = Path(__file__).resolve().parents[1]
    answers = [q.options[q.correct] for q in quiz.QUESTIONS]
    assert str(quiz.score(answers)).startswith(f"Score: {len(answers)} / {len(answers)}")
    wrong = list(answers)
    wrong[4] = quiz.QUESTIONS[4].options[0]
    result = quiz.score(wrong[:-1])  # the last one unanswered
    assert (result.right, result.total) == (len(answers) - 2, len(answers))
    assert [n for n, _ in result.reopen] == [5, len(answers)]
    assert "lessons/04-least-privilege.md#step-3-give-each-action-a-resource-it-can-match" in str(result)
    for question in quiz.QUESTIONS:
        reading = (root / question.reading).read_text()
        headings = {hints.anchor(h) for h in re.findall(r"^#+ (.+)$", reading, re.M)}
        assert question.link.split("#")[1] in headings, question.prompt


def test_the_quiz_widget_scores():
    from iamlab.course import quiz
    from iamlab.widgets.quiz import Quiz

    widget = Quiz()
    widget.answer(1, quiz.QUESTIONS[0].options[quiz.QUESTIONS[0].correct])
    widget.score_button.click()
    assert 'data-right="1"' in widget.score_view.value and "Question 2: reopen" in widget.score_view.value
