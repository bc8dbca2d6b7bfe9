"""Generated video clips per scene (OpenAI's Sora, Runway) as resumable, budgeted jobs (no Dagster)."""

from .budget import Budgets, DailyBudget, parse_budgets
from .jobs import (BatchSettings, JobBook, JobRequest, JobStatus, VideoBackend, VideoBatch, price_per_second,
                   request_key, round_duration, write_credit)

__all__ = ["BatchSettings", "Budgets", "DailyBudget", "JobBook", "JobRequest", "JobStatus", "VideoBackend",
           "VideoBatch", "parse_budgets", "price_per_second", "request_key", "round_duration", "write_credit"]
