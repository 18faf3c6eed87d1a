"""Shared test configuration: hypothesis profiles (``ci`` is fast and derandomised)."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def cli_fails(capsys):
    """``cli_fails(argv, *needles)`` runs the CLI in-process and asserts exit code 2 and a
    one-line message on stderr (no traceback) holding every needle; it returns that line."""
    from vqgeom.cli import main

    def fails(argv, *needles):
        assert main(argv) == 2
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, err
        for needle in needles:
            assert needle in lines[0], lines[0]
        return lines[0]

    return fails
