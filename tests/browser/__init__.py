"""Tests of intake.browser."""
