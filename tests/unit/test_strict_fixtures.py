"""The strict fixtures of tests/conftest.py can fail: an error logged, a write to the real home."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.conftest import REAL_HOME

pytest_plugins = ["pytester"]


def test_a_write_under_the_real_home_is_refused(tmp_path: Path) -> None:
    target = REAL_HOME / ".lampdesk-test-probe-never-written"
    with pytest.raises(PermissionError, match="real home"):
        target.write_text("x")
    assert not target.exists()
    (tmp_path / "ok.txt").write_text("a temporary folder is fine")


def test_reading_the_real_home_is_allowed() -> None:
    assert REAL_HOME.is_dir()
    list(REAL_HOME.iterdir())


@pytest.mark.logged_errors
def test_a_test_marked_logged_errors_may_log_one() -> None:
    logging.getLogger("lampdesk.probe").error("provoked on purpose")


def test_an_error_logged_fails_the_test(pytester: pytest.Pytester) -> None:
    conftest = Path(__file__).resolve().parent.parent / "conftest.py"
    pytester.makeconftest(conftest.read_text())
    pytester.makepyfile(
        """
        import logging

        def test_logs():
            logging.getLogger("lampdesk.x").error("boom")

        def test_quiet():
            logging.getLogger("lampdesk.x").warning("only a warning")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)  # test_logs fails in its teardown
    result.stdout.fnmatch_lines(["errors were logged during the test:", "lampdesk.x: boom"])
