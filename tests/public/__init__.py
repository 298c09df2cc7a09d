"""Tests of intake.public."""
