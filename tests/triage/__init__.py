"""Tests of intake.triage."""
