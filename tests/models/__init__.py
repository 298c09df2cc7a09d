"""Tests of intake.models."""
