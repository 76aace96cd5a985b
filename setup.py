"""Ships the course with the package: a wheel (``pip install .``, not editable) carries the
course's tf/, notebooks/, lessons/ and images/ as ``iamlab/course_files/``, so one install
serves every learner of a hub. The metadata is in pyproject.toml; this only adds the copy."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
PARTS = ("tf", "notebooks", "lessons", "images")  # iamlab/paths.py COURSE_PARTS
SKIP = shutil.ignore_patterns(".terraform*", "*.tfstate*", "*_override.tf", ".ipynb_checkpoints", "__pycache__")


class BuildWithCourse(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        target = Path(self.build_lib) / "iamlab" / "course_files"
        for part in PARTS:
            if (ROOT / part).is_dir():
                shutil.copytree(ROOT / part, target / part, ignore=SKIP, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithCourse})
