"""The analyst's review loop: a local web app over the store, corrections as rows, reviewed views, exports.

Generic over the genre: tasks, their fields and types come from the `Genre`. `register(app)` adds the
commands to the `fazhi` CLI; the web app and its dependencies load only when `fazhi review` runs.
"""

from agent.review.cli import register

__all__ = ["register"]
