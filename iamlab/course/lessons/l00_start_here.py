"""00 · Start here: the sandbox, the account's repositories, where things are. No exercise."""

from ..record import Lesson, Record, Stage

RECORD = Record(
    Lesson("00", "start-here", "Start here", (
        "start the course's sandbox and say what it stands in for;",
        "list the account's repositories with boto3, and say who you are in it (`sts get-caller-identity`);",
        "find the readings, the figures and your Terraform working copy (`workspace/tf/`) in JupyterLab.",
    ), "00"),
    Stage(True, None, apply=False),
)
