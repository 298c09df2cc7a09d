"""Tests of intake.notifications."""
