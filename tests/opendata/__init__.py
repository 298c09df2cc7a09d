"""Tests of intake.opendata."""
