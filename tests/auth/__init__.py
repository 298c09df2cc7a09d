"""Tests of intake.auth."""
