"""Evaluation: labelled fixtures, the scorer, the eval runner, comparison and gate (`fazhi eval`)."""

from fazhi.agent.commands import Commands


def register(commands: Commands) -> None:
    """Declare `fazhi eval` (the `fazhi.commands` entry point); evals.cli is imported when it runs."""
    commands.add("eval", "fazhi.evals.cli:eval_app", "Score extraction against labelled fixtures; compare runs; "
                 "gate regressions.")
