"""Tests of intake.forms."""
