"""Tests of intake.territory."""
