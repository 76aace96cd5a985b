"""The notebooks' widgets: small composable pieces over plain, testable logic."""

from .actions import ActionPicker  # noqa: F401
from .editor import PolicyEditor  # noqa: F401
from .quiz import Quiz  # noqa: F401
from .resources import ResourcePicker  # noqa: F401
from .runner import TerraformRunner  # noqa: F401
from .statement import StatementEditor  # noqa: F401
from .views import DiagramView, MatrixView  # noqa: F401
