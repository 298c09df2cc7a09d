"""Tests of intake.dev."""
