"""Shortsmith studio: a web page and an HTTP API over the Dagster instance and the media store.

``studio.db`` (review decisions, API keys) imports neither Dagster nor the web framework, so the
pipeline's approval gate can use it; ``studio.app`` is the web application.
"""
