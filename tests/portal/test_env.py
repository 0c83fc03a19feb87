"""The environment readers refuse values they cannot understand, naming the variable."""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import (
    email_settings,
    env_bool,
    env_colour,
    env_email,
    env_int,
    env_list,
    env_networks,
    env_pounds,
    env_static_path,
    env_url,
)

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        ("", False),
    ],
)
def test_env_bool_accepts_the_usual_spellings(monkeypatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("PORTAL_FLAG", raw)
    assert env_bool("PORTAL_FLAG", not expected) is expected


def test_env_bool_uses_the_default_when_unset(monkeypatch) -> None:
    monkeypatch.delenv("PORTAL_FLAG", raising=False)
    assert env_bool("PORTAL_FLAG", True) is True
    assert env_bool("PORTAL_FLAG", False) is False


def test_env_bool_refuses_maybe(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"PORTAL_FLAG.*'maybe'"):
        env_bool("PORTAL_FLAG", False)


def test_env_int_reads_whole_numbers_and_defaults(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_COUNT", " 10 ")
    assert env_int("PORTAL_COUNT", 3, minimum=1) == 10
    monkeypatch.setenv("PORTAL_COUNT", "")
    assert env_int("PORTAL_COUNT", 3) == 3
    monkeypatch.delenv("PORTAL_COUNT")
    assert env_int("PORTAL_COUNT", 3) == 3


def test_env_int_refuses_words(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_COUNT", "ten")
    with pytest.raises(ImproperlyConfigured, match="PORTAL_COUNT must be a whole number"):
        env_int("PORTAL_COUNT", 3)


def test_env_int_refuses_values_below_the_minimum(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_COUNT", "0")
    with pytest.raises(ImproperlyConfigured, match="PORTAL_COUNT must be at least 1"):
        env_int("PORTAL_COUNT", 3, minimum=1)
    monkeypatch.setenv("PORTAL_COUNT", "1")
    assert env_int("PORTAL_COUNT", 3, minimum=1) == 1


def test_env_list_splits_on_commas(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_HOSTS", " a.example, ,b.example ")
    assert env_list("PORTAL_HOSTS", []) == ["a.example", "b.example"]


def test_env_url_accepts_an_allowed_scheme(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_URL", "https://portal.example/")
    assert env_url("PORTAL_URL", "", schemes=("http", "https")) == "https://portal.example/"


def test_env_url_refuses_another_scheme(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_URL", "ftp://portal.example")
    with pytest.raises(ImproperlyConfigured, match="PORTAL_URL must start with"):
        env_url("PORTAL_URL", "", schemes=("http", "https"))


def test_env_url_refuses_a_missing_host(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_URL", "https:///path-only")
    with pytest.raises(ImproperlyConfigured, match="PORTAL_URL has no host name"):
        env_url("PORTAL_URL", "", schemes=("http", "https"))


def test_email_console_and_locmem() -> None:
    assert email_settings("console://") == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }
    assert email_settings("locmem://") == {
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"
    }


def test_email_smtp_with_user_password_and_starttls() -> None:
    settings = email_settings(
        "smtp://it%40northwind-care.example:p%40ss%2Fword@mail.example:587?tls=1"
    )
    assert settings == {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "mail.example",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "it@northwind-care.example",
        "EMAIL_HOST_PASSWORD": "p@ss/word",
        "EMAIL_USE_SSL": False,
        "EMAIL_USE_TLS": True,
    }


def test_email_plain_smtp_defaults_to_port_25_without_tls() -> None:
    settings = email_settings("smtp://relay.example")
    assert settings["EMAIL_PORT"] == 25
    assert settings["EMAIL_USE_TLS"] is False
    assert settings["EMAIL_USE_SSL"] is False
    assert settings["EMAIL_HOST_USER"] == ""


def test_email_smtps_is_implicit_tls_on_465() -> None:
    settings = email_settings("smtps://user:secret@mail.example")
    assert settings["EMAIL_BACKEND"] == SMTP
    assert settings["EMAIL_PORT"] == 465
    assert settings["EMAIL_USE_SSL"] is True
    assert settings["EMAIL_USE_TLS"] is False


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("imap://mail.example", "EMAIL_URL must start with"),
        ("smtp://", "EMAIL_URL has no host name"),
        ("smtp://mail.example:notaport", "EMAIL_URL has a bad port"),
        ("smtp://mail.example:70000", "EMAIL_URL has a bad port"),
    ],
)
def test_email_refuses_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        email_settings(url)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("100", "100.00"), (" 99.5 ", "99.50"), ("0", "0.00"), ("", "100.00")],
)
def test_env_pounds_reads_pounds_and_pence(monkeypatch, raw: str, expected: str) -> None:
    monkeypatch.setenv("PORTAL_AMOUNT", raw)
    assert env_pounds("PORTAL_AMOUNT", "100") == Decimal(expected)
    monkeypatch.delenv("PORTAL_AMOUNT")
    assert env_pounds("PORTAL_AMOUNT", "100") == Decimal("100.00")


@pytest.mark.parametrize("raw", ["£100", "ten", "10.001", "NaN", "Infinity", "1e40"])
def test_env_pounds_refuses_what_is_not_an_amount(monkeypatch, raw: str) -> None:
    monkeypatch.setenv("PORTAL_AMOUNT", raw)
    with pytest.raises(ImproperlyConfigured, match="PORTAL_AMOUNT must be an amount in pounds"):
        env_pounds("PORTAL_AMOUNT", "100")


def test_env_pounds_refuses_a_negative_amount(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_AMOUNT", "-1")
    with pytest.raises(ImproperlyConfigured, match="PORTAL_AMOUNT must be at least 0"):
        env_pounds("PORTAL_AMOUNT", "100")


def test_env_networks_reads_addresses_and_networks(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_PROXIES", " 10.0.0.2, 172.18.0.0/16,,fd00::/64 ")
    assert env_networks("PORTAL_PROXIES") == (
        ipaddress.ip_network("10.0.0.2/32"),
        ipaddress.ip_network("172.18.0.0/16"),
        ipaddress.ip_network("fd00::/64"),
    )
    monkeypatch.delenv("PORTAL_PROXIES")
    assert env_networks("PORTAL_PROXIES") == ()


@pytest.mark.parametrize("raw", ["10.0.0.300", "proxy", "172.18.0.5/16", "10.0.0.0/33", "*"])
def test_env_networks_refuses_what_is_not_an_address(monkeypatch, raw: str) -> None:
    monkeypatch.setenv("PORTAL_PROXIES", f"10.0.0.2,{raw}")
    with pytest.raises(
        ImproperlyConfigured, match=r"^PORTAL_PROXIES must list .*" + re.escape(repr(raw))
    ):
        env_networks("PORTAL_PROXIES")


@pytest.mark.parametrize(("raw", "expected"), [("#0A58CA", "#0a58ca"), (" #1d4b2c ", "#1d4b2c")])
def test_env_colour_reads_a_hex_colour(monkeypatch, raw: str, expected: str) -> None:
    monkeypatch.setenv("PORTAL_BRAND_COLOUR", raw)
    assert env_colour("PORTAL_BRAND_COLOUR", "#000000") == expected


def test_env_colour_takes_one_just_dark_enough(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_BRAND_COLOUR", "#0d6efd")  # Bootstrap's blue: 4.50:1
    assert env_colour("PORTAL_BRAND_COLOUR", "#0a58ca") == "#0d6efd"


def test_env_colour_uses_the_default_when_unset_or_empty(monkeypatch) -> None:
    monkeypatch.delenv("PORTAL_BRAND_COLOUR", raising=False)
    assert env_colour("PORTAL_BRAND_COLOUR", "#0a58ca") == "#0a58ca"
    monkeypatch.setenv("PORTAL_BRAND_COLOUR", " ")
    assert env_colour("PORTAL_BRAND_COLOUR", "#0a58ca") == "#0a58ca"


@pytest.mark.parametrize("raw", ["blue", "0a58ca", "#0a58c", "#0a58cag", "#fff", "rgb(0,0,0)"])
def test_env_colour_refuses_what_is_not_a_hex_colour(monkeypatch, raw: str) -> None:
    monkeypatch.setenv("PORTAL_BRAND_COLOUR", raw)
    with pytest.raises(
        ImproperlyConfigured,
        match=r"^PORTAL_BRAND_COLOUR must be a colour written as # and six hexadecimal digits, "
        r"such as #0a58ca; got " + re.escape(repr(raw)),
    ):
        env_colour("PORTAL_BRAND_COLOUR", "#0a58ca")


@pytest.mark.parametrize(
    ("raw", "ratio"), [("#ffffff", "1.00"), ("#ffcc00", "1.51"), ("#777777", "4.48")]
)
def test_env_colour_refuses_one_too_light_for_white_text(monkeypatch, raw: str, ratio) -> None:
    monkeypatch.setenv("PORTAL_BRAND_COLOUR", raw)
    with pytest.raises(ImproperlyConfigured, match=rf"{raw} gives {ratio}:1\. Choose a darker"):
        env_colour("PORTAL_BRAND_COLOUR", "#0a58ca")


def test_env_email_reads_one_address_or_nothing(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_IT_HELPLINE_EMAIL", " it@northwind.example ")
    assert env_email("PORTAL_IT_HELPLINE_EMAIL") == "it@northwind.example"
    monkeypatch.setenv("PORTAL_IT_HELPLINE_EMAIL", "")
    assert env_email("PORTAL_IT_HELPLINE_EMAIL", "default@example.com") == ""
    monkeypatch.delenv("PORTAL_IT_HELPLINE_EMAIL")
    assert env_email("PORTAL_IT_HELPLINE_EMAIL", "default@example.com") == "default@example.com"


@pytest.mark.parametrize("raw", ["it desk", "it@", "a@b.example, c@d.example"])
def test_env_email_refuses_what_is_not_one_address(monkeypatch, raw: str) -> None:
    monkeypatch.setenv("PORTAL_IT_HELPLINE_EMAIL", raw)
    with pytest.raises(
        ImproperlyConfigured,
        match=r"^PORTAL_IT_HELPLINE_EMAIL must be an e-mail address; got " + re.escape(repr(raw)),
    ):
        env_email("PORTAL_IT_HELPLINE_EMAIL")


def test_env_static_path_reads_a_static_file_or_nothing(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_ORG_LOGO", " portal/logo.svg ")
    assert env_static_path("PORTAL_ORG_LOGO") == "portal/logo.svg"
    monkeypatch.delenv("PORTAL_ORG_LOGO")
    assert env_static_path("PORTAL_ORG_LOGO") == ""


@pytest.mark.parametrize(
    "raw",
    ["https://cdn.example/logo.png", "//cdn.example/logo.png", "/etc/passwd", "portal/../x.svg"],
)
def test_env_static_path_refuses_addresses_elsewhere(monkeypatch, raw: str) -> None:
    monkeypatch.setenv("PORTAL_ORG_LOGO", raw)
    with pytest.raises(
        ImproperlyConfigured,
        match=r"^PORTAL_ORG_LOGO must be the path of a file among the portal's static files",
    ):
        env_static_path("PORTAL_ORG_LOGO")
