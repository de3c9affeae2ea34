"""Settings: defaults, environment, flags over environment, invalid values."""

from __future__ import annotations

import pytest

from sojourn.config import Settings, SettingsError


def test_defaults_follow_the_design():
    s = Settings.load(env={})
    assert (s.db_url, s.host, s.port, s.region, s.account_id, s.data_dir) == (
        "sqlite:///.sojourn/sojourn.db",
        "127.0.0.1",
        8080,
        "us-east-1",
        "123456789012",
        ".sojourn",
    )
    assert s.public_base_url == "http://127.0.0.1:8080"
    assert s.api_key is None and s.smtp_host is None and s.is_local


def test_environment_is_read_and_converted():
    s = Settings.load(
        env={
            "SOJOURN_DB_URL": "postgresql://x/y",
            "SOJOURN_PORT": "9000",
            "SOJOURN_SMTP_STARTTLS": "true",
            "SOJOURN_SMTP_PORT": "2525",
            "SOJOURN_REGION": "eu-west-1",
            "SOJOURN_API_KEY": "k",
            "SOJOURN_PUBLIC_BASE_URL": "https://leave.example.com/",
        }
    )
    assert s.db_url == "postgresql://x/y" and s.port == 9000 and s.smtp_port == 2525
    assert s.smtp_starttls is True and s.region == "eu-west-1" and s.api_key == "k"
    assert s.public_base_url == "https://leave.example.com"


def test_flags_win_over_environment_and_none_means_unset():
    s = Settings.load(env={"SOJOURN_PORT": "9000", "SOJOURN_HOST": "0.0.0.0"}, port=9100, host=None)
    assert s.port == 9100 and s.host == "0.0.0.0"
    assert s.endpoint_url == "http://127.0.0.1:9100" and not s.is_local


def test_replace_keeps_a_derived_public_url_in_step_with_the_port():
    assert Settings().replace(port=9001).public_base_url == "http://127.0.0.1:9001"
    explicit = Settings(public_base_url="https://x.example")
    assert explicit.replace(port=9001).public_base_url == "https://x.example"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SOJOURN_PORT", "abc"),
        ("SOJOURN_PORT", "70000"),
        ("SOJOURN_SMTP_TLS", "maybe"),
        ("SOJOURN_LOG_FORMAT", "xml"),
    ],
)
def test_invalid_values_name_the_variable(variable, value):
    with pytest.raises(SettingsError, match=variable):
        Settings.load(env={variable: value})


def test_arns_use_the_configured_region_and_account():
    s = Settings(region="eu-west-1", account_id="000000000001")
    assert s.arn("stateMachine", "Hello") == "arn:aws:states:eu-west-1:000000000001:stateMachine:Hello"
    assert (
        s.arn("execution", "Hello", "run-1") == "arn:aws:states:eu-west-1:000000000001:execution:Hello:run-1"
    )


def test_secrets_stay_out_of_the_repr():
    assert "pw" not in repr(Settings(smtp_password="pw", api_key="pw", metrics_token="pw"))


def test_replace_keeps_unset_optional_settings_unset():
    changed = Settings(smtp_host="mail.example.com").replace(smtp_tls=True)
    assert (changed.smtp_username, changed.smtp_password, changed.api_key) == (None, None, None)
    assert (changed.smtp_host, changed.smtp_tls) == ("mail.example.com", True)


def test_the_expression_timeout_is_a_positive_number_of_seconds():
    assert Settings.load({"SOJOURN_EXPRESSION_TIMEOUT": "0.5"}).expression_timeout == 0.5
    for bad in ("0", "-1", "soon", "inf"):
        with pytest.raises(SettingsError, match="SOJOURN_EXPRESSION_TIMEOUT"):
            Settings.load({"SOJOURN_EXPRESSION_TIMEOUT": bad})


@pytest.mark.parametrize(
    ("host", "link"), [("0.0.0.0", "http://127.0.0.1:8080"), ("::", "http://[::1]:8080")]
)
def test_a_wildcard_host_never_makes_a_link_on_the_wildcard_address(host, link):
    s = Settings.load(env={"SOJOURN_HOST": host})
    assert s.public_base_url == link and s.public_base_url_is_derived
    assert s.endpoint_url == link
    assert Settings(host=host).replace(port=9001).public_base_url == link.replace("8080", "9001")


@pytest.mark.parametrize("url", ["http://0.0.0.0:8080", "http://[::]:8080/"])
def test_a_public_url_on_a_wildcard_address_is_refused(url):
    with pytest.raises(SettingsError, match="SOJOURN_PUBLIC_BASE_URL"):
        Settings.load(env={"SOJOURN_PUBLIC_BASE_URL": url})


def test_an_explicit_public_url_is_not_derived():
    assert not Settings(
        host="0.0.0.0", public_base_url="https://leave.example.com"
    ).public_base_url_is_derived


def test_the_http_timeout_is_awss_60_seconds_or_lower():
    assert Settings().http_timeout == 60.0
    assert Settings.load({"SOJOURN_HTTP_TIMEOUT": "5"}).http_timeout == 5.0
    with pytest.raises(SettingsError, match="SOJOURN_HTTP_TIMEOUT"):
        Settings.load({"SOJOURN_HTTP_TIMEOUT": "61"})


def test_the_express_limit_is_awss_five_minutes_or_lower():
    assert Settings().express_max_seconds == 300.0
    assert Settings.load({"SOJOURN_EXPRESS_MAX_SECONDS": "1"}).express_max_seconds == 1.0
    with pytest.raises(SettingsError, match="SOJOURN_EXPRESS_MAX_SECONDS"):
        Settings.load({"SOJOURN_EXPRESS_MAX_SECONDS": "301"})


def test_connections_come_from_the_manifest_and_keep_their_secrets_out_of_the_repr():
    from sojourn.connections import parse_connections

    connections = parse_connections({"Stripe": {"api_key": {"name": "x-api-key", "value": "sk-secret"}}})
    settings = Settings.load({}, manifest={"http_connections": connections})
    assert settings.http_connections["Stripe"].api_key_value == "sk-secret"
    assert "sk-secret" not in repr(settings) and "sk-secret" not in repr(connections)
    assert "SOJOURN_HTTP_CONNECTIONS" not in str(Settings.load({"SOJOURN_HTTP_CONNECTIONS": "x"}))
