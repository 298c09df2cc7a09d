"""Tests of intake.app."""
