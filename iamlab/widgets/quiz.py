"""A short quiz with instant feedback: one question per row, Check button, feedback text."""

from __future__ import annotations

import html

import ipywidgets as w

from ..course.quiz import QUESTIONS, Question, Score, score


class QuestionWidget(w.VBox):
    def __init__(self, number: int, question: Question):
        self.question = question
        self.choice = w.RadioButtons(options=list(question.options), value=None, layout=w.Layout(width="auto"))
        self.button = w.Button(description="Check", icon="check")
        self.feedback = w.HTML()
        self.button.on_click(lambda _: self.check())
        super().__init__([w.HTML(f"<b>{number}. {html.escape(question.prompt)}</b>"), self.choice,
                          w.HBox([self.button, self.feedback])], layout=w.Layout(margin="0 0 10px 0"))

    def check(self) -> bool:
        right, text = self.question.grade(self.choice.value)
        colour = "#2e7d32" if right else "#c62828"
        self.feedback.value = (f'<span class="iamlab-quiz-feedback" data-right="{str(right).lower()}" style="color:{colour}">'
                               f'{"✅" if right else "❌"} {html.escape(text)}</span>')
        return right


class Quiz(w.VBox):
    """The questions, then a Score button: the score, and per wrong answer the reading's section to reopen."""

    def __init__(self, questions=QUESTIONS):
        self.questions = questions
        self.items = [QuestionWidget(i, q) for i, q in enumerate(questions, 1)]
        self.score_button = w.Button(description="Score", icon="flag-checkered")
        self.score_view = w.HTML()
        self.score_button.on_click(lambda _: self.score())
        super().__init__([*self.items, w.HBox([self.score_button]), self.score_view])

    def score(self) -> Score:
        result = score([item.choice.value for item in self.items], self.questions)
        self.score_view.value = result._repr_html_()
        return result

    def answer(self, number: int, option: str) -> bool:
        """Choose an option for question ``number`` (1-based) and check it, as a click would."""
        item = self.items[number - 1]
        item.choice.value = option
        return item.check()
