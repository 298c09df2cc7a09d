"""Tests of intake.rules."""
