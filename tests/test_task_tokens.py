"""Task tokens: one module makes, hashes, hides and redacts them, and mail reaches it without the runtime."""

from __future__ import annotations

import base64
import subprocess
import sys

from sojourn import tokens


def test_a_new_token_has_the_form_tokens_are_checked_against():
    token = tokens.new_token()
    assert tokens.is_token_form(token)
    assert not tokens.is_token_form(token + "x") and not tokens.is_token_form(None)
    assert tokens.hash_token(token) != token and len(tokens.hash_token(token)) == 64


def test_stored_parameters_hold_placeholders_for_each_form_and_invocation_gets_the_token_back():
    token = tokens.new_token()
    encoded = base64.b64encode(token.encode()).decode()
    parameters = {"link": f"https://x/approve/{token}", "b64": [encoded], "n": 1}
    hidden = tokens.hide_token(parameters, token)
    assert token not in str(hidden) and encoded not in str(hidden)
    assert tokens.reveal_token(hidden, token) == parameters


def test_history_the_inbox_and_mail_show_one_redaction_marker():
    token = tokens.new_token()
    encoded = base64.b64encode(token.encode()).decode()
    marker = tokens.REDACTED
    assert tokens.redact_token({"echo": token, "b64": encoded}, token) == {"echo": marker, "b64": marker}
    assert tokens.redact_tokens({"input": f'{{"t":"{token}"}}'}, [token]) == {"input": f'{{"t":"{marker}"}}'}
    shown = tokens.mask_placeholders(tokens.hide_token({"t": token, "b": encoded}, token))
    assert shown == {"t": marker, "b": marker}
    assert tokens.redact_known(f"<a href='/a/{token}'>", [token]) == f"<a href='/a/{marker}'>"


def test_token_candidates_finds_a_token_inside_a_link_but_not_inside_a_longer_word():
    token = tokens.new_token()
    assert tokens.token_candidates(f"https://x/approve/{token}?y=1") == {token}
    assert tokens.token_candidates("a" * 44) == set()


def test_mail_delivery_imports_no_part_of_the_runtime():
    code = (
        "import sys, sojourn.mail.deliverer; "
        "print(sorted(m for m in sys.modules if m.startswith('sojourn.runtime')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_a_new_token_never_begins_with_a_dash_that_a_command_line_would_read_as_an_option():
    made = [tokens.new_token() for _ in range(3000)]  # about 47 of them would begin with '-' by chance
    assert not any(token.startswith("-") for token in made)
    assert all(tokens.is_token_form(token) for token in made)
