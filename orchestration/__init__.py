"""Dagster code location of trustloop: assets, checks, jobs, schedules, sensors."""
