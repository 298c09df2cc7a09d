"""Tests of intake.meetings."""
