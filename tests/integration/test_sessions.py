"""Every front end of a process shares the profile's one session: a change made through one is
what the others use at once (issue 15)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from lampdesk.api.server import ApiService
from lampdesk.app import LampDesk
from lampdesk.cli import resident_runner
from lampdesk.paths import DataPaths
from lampdesk.prompting.templates import TEMPLATE_SETTING, default_template, default_template_text

pytestmark = [pytest.mark.model, pytest.mark.embedder]
PERSONA = "You are Captain Lamp, a ship's parrot."


def parrot_template() -> str:
    """The default template with another persona."""
    text, count = re.subn(
        r'(?ms)^persona = """.*?"""$', f'persona = """{PERSONA}"""', default_template_text()
    )
    assert count == 1
    return text


def system_prompt(service: ApiService) -> str:
    session = service.session(None)
    result = session.assistant.ask(
        "Hello?", personalize=False, settings=session.assistant.generation_settings(max_tokens="2")
    )
    return str(result.messages[0]["content"])


def test_a_template_reset_forwarded_to_the_running_app_is_used_at_once(
    data_dir: Path, engine: Any, embedder: Any
) -> None:
    app = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder)
    seeded = app.open()
    seeded.profile.set_setting(TEMPLATE_SETTING, parrot_template())
    seeded.close()
    service = ApiService(app, "default", "token")  # the running app holds the profile open
    session = service.session(None)
    try:
        assert PERSONA in system_prompt(service)
        out, err = io.StringIO(), io.StringIO()
        run = resident_runner(app)  # `lampdesk template reset` in a terminal, forwarded
        assert run(["--profile", "default", "template", "reset"], out, err) == 0, err.getvalue()
        assert "default template again" in out.getvalue()
        prompt = system_prompt(service)
        assert service.session(None) is session  # one session, shared
        assert PERSONA not in prompt
        assert default_template().segments["persona"] in prompt
    finally:
        service.close()
    assert app.sessions.get("default") is session  # the resident channel holds it still
    app.sessions.close()
