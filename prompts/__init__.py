"""Prompt templates, one Markdown file per extraction task."""
