"""iamlab: learn AWS IAM roles, instance profiles and ECR policies with real Terraform.

The flow of data through the package, one direction only:

    learner (a %%tf cell or the policy editor) -> working copy (the learner's .tf files)
            -> terraform driver (own CLI config, sandbox override file)
            -> sandbox (moto + the course's access engine + a registry)
            -> checks acting as the instance -> access matrix and diagram

In a notebook (these functions and ``Lab``'s verbs are the package's face: notebooks call
nothing else):

    import iamlab
    lab = iamlab.start()                       # also makes %%tf available
    iamlab.check("04-scope")                   # grades your own work
    iamlab.hint("04-scope")                    # a hint; ask again for the next one (never the answer)
    iamlab.solution("04-scope")                # shows the reference (collapsed)
    iamlab.predict("05-predict", {...})        # write your prediction down first
    iamlab.policy_editor()                     # the custom policy, with widgets
    iamlab.mode_switch()                       # the sandbox, or your own AWS account
    iamlab.describe_actions(["ecr:ListImages"])  # what an action allows, and on what
    iamlab.show_json(document, "title")        # a policy document, shown
    iamlab.leftovers()                         # what the course created that is still there
    iamlab.policy_from_activity(lab.instance.activity())  # a policy from what the instance did
"""

__version__ = "0.1.0"


def start():
    """Start the course in a notebook: ``lab = iamlab.start()`` (and the ``%%tf`` cell magic)."""
    from .course import magic
    from .lab import start as _start

    from .progress import Ticker

    magic.register()
    with Ticker("Starting the sandbox and your working copy…"):
        return _start()


def check(name, answer=None):
    """Grade an exercise from your own work: ``check("04-scope")``, or ``check("02-browse", answer)``."""
    from .course.checks import check as _check
    from .lab import current

    lab = current()
    return _check(name, answer, lab.account, apply=lab.terraform.apply, destroy=lab.terraform.destroy)


def hint(name):
    """A hint for an exercise: first what the result should do, with one counterexample; asked again, the
    concept and the reading's section. Never the answer: that is ``solution(name)``."""
    from .course.hints import hint as _hint

    return _hint(name)


def solution(name, apply=False):
    """Show an exercise's reference solution; for a Terraform exercise, ``apply=True`` writes it into your
    working copy and applies it (an answer you type has nothing to apply)."""
    from .course.checks import solution as _solution
    from .lab import current

    if not apply:
        return _solution(name)
    lab = current()
    return _solution(name, lab.account, apply=lab.terraform.apply, destroy=lab.terraform.destroy)


def predict(name, answers):
    """Record a prediction before you see the answer: ``predict("05-predict", {"login": "allowed", ...})``.
    Written after the apply or access report it is about, it is recorded as LATE and says so."""
    from .course.predictions import predict as _predict

    return _predict(name, answers)


def policy_editor():
    """The policy editor: statements, checks and previews, then Plan/Apply, the access matrix and the diagram.
    It opens your custom_policy.tf as it is now (the lesson's starting policy when there is none)."""
    from .course.policies import seed_policy
    from .lab import current
    from .widgets.editor import PolicyEditor

    from .progress import Ticker

    lab = current()
    with Ticker("Opening the policy editor (your policy, its checks, the access matrix)…"):
        return PolicyEditor(lab.account, lab.terraform.driver, lab.instance.ask, seed_policy())


def quiz():
    """The review's quiz: one question per row, instant feedback."""
    from .progress import Ticker

    with Ticker("Opening the quiz…"):
        from .widgets.quiz import Quiz

        return Quiz()


def mode_switch():
    """Sandbox or real AWS, with the cost and an explicit confirmation before anything is created."""
    from .widgets.mode import ModeSwitch

    return ModeSwitch()


def describe_actions(actions):
    """Each action's access level, resource types and what it allows (the Service Authorization Reference)."""
    from .lookups import describe_actions as _describe

    return _describe(actions)


def show_json(document, title=""):
    """A JSON document (a policy, a trust policy), shown as such."""
    from .reports import JsonDocument

    return JsonDocument(document, title)


def leftovers():
    """What the course created that is still in the account (everything it makes is tagged course=iamlab),
    each with its next step: destroy for what Terraform's state records, the delete calls for the rest."""
    from .cleanup import leftovers as _leftovers
    from .lab import current

    lab = current()
    return _leftovers(lab.client, lab.account.directory)


def policy_from_activity(records):
    """A policy allowing exactly what ``records`` (``lab.instance.activity()``) show the role did."""
    from .policy.generate import from_activity

    return from_activity(records)


def actions_by_resource(document):
    """A policy's allowed actions, grouped by resource (lowercase names): to compare two policies."""
    from .policy.generate import actions_by_resource as _by_resource

    return _by_resource(document)


def load_ipython_extension(ipython):
    """``%load_ext iamlab``: registers the ``%%tf`` cell magic."""
    from .progress import Ticker

    with Ticker("Loading the course (the %%tf cell magic)…"):
        from .course import magic

        magic.register(ipython)
