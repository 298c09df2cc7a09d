"""Tests of intake.duplicates."""
