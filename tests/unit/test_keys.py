import pytest

from lampdesk.errors import KeyUnavailableError
from lampdesk.vault import keys
from lampdesk.vault.keys import KeyMode, ProfileKey


def test_passphrase_is_quoted_for_sql() -> None:
    assert ProfileKey(KeyMode.PASSPHRASE, "it's").pragma_value() == "'it''s'"


def test_raw_key_is_a_blob_literal() -> None:
    assert ProfileKey(KeyMode.KEYRING, "0f" * 32).pragma_value() == "\"x'" + "0f" * 32 + "'\""


def test_secret_never_in_repr() -> None:
    assert "hunter2" not in repr(ProfileKey(KeyMode.PASSPHRASE, "hunter2"))


def test_fail_backend_is_not_usable() -> None:
    assert keys.keyring_usable() is False


def test_passphrase_from_environment_wins() -> None:
    assert keys.choose_mode_for_new_profile() is KeyMode.PASSPHRASE
    assert keys.passphrase_key("p", None).secret


def test_no_passphrase_anywhere_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMPDESK_PASSPHRASE")
    with pytest.raises(KeyUnavailableError, match="LAMPDESK_PASSPHRASE"):
        keys.passphrase_key("p", None)


def test_prompt_is_used_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMPDESK_PASSPHRASE")
    asked: list[tuple[str, bool]] = []

    def prompt(what: str, confirm: bool) -> str:
        asked.append((what, confirm))
        return "typed"

    assert keys.passphrase_key("work", prompt, confirm=True).secret == "typed"
    assert asked == [("Passphrase for profile 'work'", True)]


def test_empty_passphrase_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMPDESK_PASSPHRASE", "")
    with pytest.raises(KeyUnavailableError, match="empty"):
        keys.passphrase_key("p", None)


def test_a_bug_is_not_taken_for_a_missing_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.errors import NoKeyringError

    from lampdesk.vault import keys

    def no_backend() -> None:
        raise NoKeyringError("no backend")

    monkeypatch.setattr(keyring, "get_keyring", no_backend)
    assert keys.keyring_usable() is False

    def bug() -> None:
        raise TypeError("a bug")

    monkeypatch.setattr(keyring, "get_keyring", bug)
    with pytest.raises(TypeError):
        keys.keyring_usable()
