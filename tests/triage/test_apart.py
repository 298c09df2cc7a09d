"""An export's own process steps aside for the pages: Linux's idle scheduling policy."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="no SCHED_IDLE on this system")
def test_an_export_process_runs_on_idle_time_only():
    """Run in a process of its own: the policy cannot be raised back without privilege."""
    script = (
        "import os; from intake.triage.apart import step_aside; "
        "before = os.sched_getscheduler(0); step_aside(); "
        "print(before, os.sched_getscheduler(0), os.SCHED_IDLE)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    before, after, idle = done.stdout.split()
    assert before != idle and after == idle
