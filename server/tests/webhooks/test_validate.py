"""validate_webhook_config: the create body's ``webhook`` object (docs/api.md §6.1)."""

from __future__ import annotations

import conduit_server.webhooks as webhooks
import pytest
from conduit_server.webhooks import Issue, validate_webhook_config


@pytest.mark.parametrize(
    "config",
    [
        {"url": "https://your-app.com/webhooks/conduit"},
        {"url": "http://127.0.0.1:8080/hook", "headers": {}},
        {"url": "HTTPS://Example.com/a?b=c#d", "headers": {"x-tenant-id": "t1", "Authorization": "Bearer x"}},
        {"url": "https://[2001:db8::1]:8443/x", "headers": {"X-Tab": "a\tb", "X-Unicode": "café"}},
        {"url": "https://example.com/" + "a" * (2048 - 20), "unknownKey": 1},
        {"url": "https://example.com/", "headers": {f"x-h{i}": "v" for i in range(20)}},
        {"url": "https://example.com/", "headers": {"x-max": "v" * 1024, "user-agent": "mine"}},
    ],
)
def test_valid_configs(config: dict) -> None:
    assert validate_webhook_config(config) == []


@pytest.mark.parametrize(
    ("config", "issues"),
    [
        ("https://x.com", [Issue("webhook", "Expected object")]),
        (None, [Issue("webhook", "Expected object")]),
        ({}, [Issue("webhook.url", "Required")]),
        ({"url": ""}, [Issue("webhook.url", "Required")]),
        ({"url": 5}, [Issue("webhook.url", "Expected string")]),
        ({"url": "/relative/path"}, [Issue("webhook.url", "Must be an absolute http or https URL")]),
        ({"url": "ftp://example.com/x"}, [Issue("webhook.url", "Must be an absolute http or https URL")]),
        ({"url": "javascript:alert(1)"}, [Issue("webhook.url", "Must be an absolute http or https URL")]),
        ({"url": "https:///nohost"}, [Issue("webhook.url", "Must be an absolute http or https URL")]),
        ({"url": "https://exa mple.com/"}, [Issue("webhook.url", "Must not contain whitespace or control characters")]),
        ({"url": "https://example.com:99999/"}, [Issue("webhook.url", "Invalid URL")]),
        ({"url": "https://example.com/" + "a" * 2048}, [Issue("webhook.url", "Must be at most 2048 characters")]),
        ({"url": "https://e.com", "headers": []}, [Issue("webhook.headers", "Expected object")]),
        ({"url": "https://e.com", "headers": None}, [Issue("webhook.headers", "Expected object")]),
        (
            {"url": "https://e.com", "headers": {f"x-{i}": "v" for i in range(21)}},
            [Issue("webhook.headers", "At most 20 headers")],
        ),
        (
            {"url": "https://e.com", "headers": {"bad name": "v"}},
            [Issue("webhook.headers.bad name", "Header name must be an HTTP token")],
        ),
        (
            {"url": "https://e.com", "headers": {"": "v"}},
            [Issue("webhook.headers.", "Header name must be an HTTP token")],
        ),
        ({"url": "https://e.com", "headers": {"x-a": 1}}, [Issue("webhook.headers.x-a", "Expected string")]),
        (
            {"url": "https://e.com", "headers": {"x-a": "v" * 1025}},
            [Issue("webhook.headers.x-a", "Must be at most 1024 characters")],
        ),
        (
            {"url": "https://e.com", "headers": {"x-a": "a\r\nx-injected: 1"}},
            [Issue("webhook.headers.x-a", "Must not contain CR or LF")],
        ),
        (
            {"url": "https://e.com", "headers": {"x-a": "a\nb"}},
            [Issue("webhook.headers.x-a", "Must not contain CR or LF")],
        ),
        (
            {"url": "https://e.com", "headers": {"x-a": "a\x00b"}},
            [Issue("webhook.headers.x-a", "Must not contain control characters")],
        ),
        (
            {"url": "https://e.com", "headers": {"X-A": "1", "x-a": "2"}},
            [Issue("webhook.headers.x-a", "Duplicate header name")],
        ),
    ],
)
def test_invalid_configs(config: object, issues: list[Issue]) -> None:
    assert validate_webhook_config(config) == issues


@pytest.mark.parametrize(
    "name",
    [
        "conduit-signature",
        "Conduit-Event-Id",
        "conduit-anything",
        "Content-Type",
        "content-length",
        "Host",
        "Transfer-Encoding",
        "CONNECTION",
    ],
)
def test_reserved_header_names(name: str) -> None:
    assert validate_webhook_config({"url": "https://e.com", "headers": {name: "v"}}) == [
        Issue(f"webhook.headers.{name}", "Header name is reserved")
    ]


def test_issues_are_collected_with_a_custom_path() -> None:
    issues = validate_webhook_config({"url": "ftp://x", "headers": {"host": "h", "x-ok": "fine"}}, path="body.webhook")
    assert [i.as_dict() for i in issues] == [
        {"path": "body.webhook.url", "message": "Must be an absolute http or https URL"},
        {"path": "body.webhook.headers.host", "message": "Header name is reserved"},
    ]


def test_public_exports_are_pinned() -> None:
    assert sorted(webhooks.__all__) == sorted(
        [
            "DEFAULT_DELAYS",
            "REFUSED_NETWORKS",
            "RESERVED_HEADER_NAMES",
            "AddressPolicy",
            "AttemptError",
            "AttemptOutcome",
            "BlockedDestination",
            "DestinationError",
            "Issue",
            "ResolutionFailed",
            "ResolvedDestination",
            "Resolver",
            "RetrySchedule",
            "WebhookEvent",
            "attempt_delivery",
            "build_delivery_headers",
            "build_webhook_event",
            "canonical_json",
            "event_type_for",
            "format_timestamp",
            "is_reserved_header",
            "new_event_id",
            "parse_retry_after",
            "resolve_destination",
            "sign_webhook_payload",
            "system_resolver",
            "validate_webhook_config",
        ]
    )
    for name in webhooks.__all__:
        assert getattr(webhooks, name) is not None
