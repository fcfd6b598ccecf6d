"""The analyst's review loop: a local web app over the store, corrections as rows, reviewed views, exports.

Generic over the genre: tasks, their fields and types come from the `Genre`. `fazhi.agent.review.cli.register`
declares the commands to the `fazhi` CLI; the web app and its dependencies load only when `fazhi review` runs.
"""
