"""Optional narrative renderer: an OpenAI-compatible LLM rewrites the prose of a deterministic report.

Off by default (`CONDUIT_LLM_URL` unset). The deterministic report (docs/api.md §3.4/§13) stays the source of truth:
the model only sees that report's text, its claims and the measured indicator values (no transcript), and its
reply is accepted only if it keeps the structure exactly (same sections, keys, kinds, order, titles, number of
phrases and action items), validates as ReportJson, every number it writes appears in the deterministic text
of the same claim, and the reliability caution that opens a summary (reliability.py) is kept verbatim. Claims are
rebuilt 1:1 (same section, same indicator keys) from the new text. Any failure - connection error, overall
deadline, non-2xx, unparsable reply, schema or fidelity violation after `max_attempts` - returns the deterministic
`RenderedReport` unchanged. See docs/metrics.md "Optional narrative renderer".
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx

from .markdown import report_markdown
from .render import Claim, RenderedReport
from .sample import Sample
from .schema import SchemaError, validate_report_json

if TYPE_CHECKING:
    from conduit_server.settings import Settings

log = logging.getLogger(__name__)

PROVIDER = "openai"  # the API family this renderer calls (docs/api.md §13: meta.render.provider)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)

SYSTEM_PROMPT = """You edit behavioral reports. You receive a report as JSON ("report") and the claims it makes \
("claims"), each with the measured indicators that back it.
Rewrite the prose so it reads naturally: the top-level "summary", every section "body", every "phrases" entry and \
every action item "context".
Rules:
- Return ONLY one JSON object with exactly the structure of "report": the same keys, the same sections in the same \
order with the same "kind", "key" and "title", the same number of "phrases" and "items", the same item "title"s.
- Keep "schemaVersion", "template" and "title" unchanged. Do not add or remove keys.
- Keep every fact. Keep numbers exactly as they are written in the text you rewrite; never introduce a number that \
is not already in that same text (no new statistics, percentages, dates or counts).
- Invent nothing: no new traits, advice, people, events or claims that the input does not state.
- If the summary opens with "Read with caution:", keep that caution paragraph word for word at its start.
- Every string must be non-empty. Write in the language of the input text."""


class NarrativeError(Exception):
    """One attempt's reply could not be used (the message says why)."""


@dataclass(frozen=True, slots=True)
class _Slot:
    """One claim-bearing string of a report: where it is and its claim text."""

    section_key: str
    text: str


def _slots(doc: dict[str, Any]) -> list[_Slot]:
    """The claim texts of a report in the order render_report emits its claims."""
    out = [_Slot("summary", doc["summary"])]
    for s in doc["sections"]:
        if s["kind"] == "traits":
            out += [_Slot(s["key"], p) for p in s["phrases"]] + [_Slot(s["key"], s["body"])]
        elif s["kind"] == "actions":
            out += [_Slot(s["key"], f"{i['title']}: {i['context']}") for i in s["items"]]
        else:
            out.append(_Slot(s["key"], s["body"]))
    return out


def _numbers(text: str) -> set[Decimal]:
    return {Decimal(t).normalize() for t in _NUMBER.findall(text)}


def _strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def fidelity_violations(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Differences that make `new` (a schema-valid ReportJson) an unfaithful rewrite of `old`; empty if faithful."""
    errors: list[str] = []
    for k in ("schemaVersion", "template", "title"):
        if new.get(k) != old.get(k):
            errors.append(f"$.{k}: must stay {old.get(k)!r}")
    if len(new["sections"]) != len(old["sections"]):
        return errors + [f"$.sections: expected {len(old['sections'])} sections, got {len(new['sections'])}"]
    for i, (a, b) in enumerate(zip(old["sections"], new["sections"], strict=True)):
        path = f"$.sections[{i}]"
        for k in ("kind", "key", "title"):
            if a.get(k) != b.get(k):
                errors.append(f"{path}.{k}: must stay {a.get(k)!r}, got {b.get(k)!r}")
        if set(a) != set(b):
            errors.append(f"{path}: keys must be {sorted(a)}, got {sorted(b)}")
            continue
        if "phrases" in a and len(a["phrases"]) != len(b["phrases"]):
            errors.append(f"{path}.phrases: expected {len(a['phrases'])}, got {len(b['phrases'])}")
        if "items" in a:
            if len(a["items"]) != len(b["items"]):
                errors.append(f"{path}.items: expected {len(a['items'])}, got {len(b['items'])}")
            else:
                for j, (x, y) in enumerate(zip(a["items"], b["items"], strict=True)):
                    if x["title"] != y.get("title"):
                        errors.append(f"{path}.items[{j}].title: must stay {x['title']!r}")
    if any(not s.strip() for s in _strings(new)):
        errors.append("$: every string must be non-empty")
    if errors:
        return errors
    for n, (a, b) in enumerate(zip(_slots(old), _slots(new), strict=True)):
        invented = _numbers(b.text) - _numbers(a.text)
        if invented:
            nums = ", ".join(sorted(str(x) for x in invented))
            errors.append(f"claim {n} ({a.section_key}): numbers not in the original text: {nums}")
    return errors


def _indicator_values(sample: Sample) -> dict[str, dict[str, Any]]:
    return {i.key: {"raw": i.raw, "unit": i.unit, "normalized": i.normalized, "binned": i.binned}
            for i in sample.indicators}


def build_messages(det: RenderedReport, sample: Sample) -> list[dict[str, str]]:
    """The chat prompt: only the deterministic report's content, its claims and their measured indicators."""
    values = _indicator_values(sample)
    report = {k: v for k, v in det.json.items() if k != "meta"}
    claims = [{"sectionKey": c.section_key, "text": c.text,
               "indicators": {k: values[k] for k in c.indicator_keys if k in values}} for c in det.claims]
    payload = json.dumps({"report": report, "claims": claims}, ensure_ascii=False)
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": payload}]


def _parse_content(content: str) -> dict[str, Any]:
    if m := _FENCE.match(content):
        content = m.group(1)
    try:
        doc = json.loads(content)
    except ValueError as exc:
        raise NarrativeError(f"reply content is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise NarrativeError("reply content is not a JSON object")
    return doc


class NarrativeRenderer:
    """Rewrites the prose of a deterministic report through `POST {base_url}/chat/completions`."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 30,
                 max_attempts: int = 2, transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not base_url or not model:
            raise ValueError("base_url and model are required")
        if max_attempts < 1 or timeout_s <= 0:
            raise ValueError("max_attempts must be >= 1 and timeout_s > 0")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout_s = float(timeout_s)
        self.max_attempts = max_attempts
        self.transport = transport

    def __repr__(self) -> str:  # never show the API key
        return f"NarrativeRenderer(base_url={self.base_url!r}, model={self.model!r})"

    @classmethod
    def from_settings(cls, settings: Settings) -> NarrativeRenderer | None:
        """The renderer configured by CONDUIT_LLM_*, or None when it is off (the default)."""
        if not settings.llm_url:
            return None
        if not settings.llm_model:
            log.warning("CONDUIT_LLM_URL is set without CONDUIT_LLM_MODEL; the narrative renderer stays off")
            return None
        return cls(settings.llm_url, settings.llm_model, api_key=settings.llm_api_key,
                   timeout_s=settings.llm_timeout_seconds)

    async def render(self, det: RenderedReport, sample: Sample, *, language: str,
                     server_version: str) -> RenderedReport:
        """The rewritten report, or `det` itself (unchanged) on any failure. Never raises except on cancellation."""
        attempts = 0
        reason = "no attempt made"
        try:
            slots = _slots(det.json)
            if [(c.section_key, c.text) for c in det.claims] != [(s.section_key, s.text) for s in slots]:
                raise NarrativeError("deterministic claims do not line up with the report text")
            messages = build_messages(det, sample)
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            async with asyncio.timeout(self.timeout_s), httpx.AsyncClient(
                    transport=self.transport, timeout=self.timeout_s, headers=headers) as client:
                while attempts < self.max_attempts:
                    attempts += 1
                    try:
                        reply = await self._attempt(client, messages)
                        result = self._accept(det, reply, attempts, language, server_version)
                    except _Retryable as exc:
                        reason = str(exc)
                        log.info("narrative renderer attempt %d/%d rejected: %s", attempts, self.max_attempts,
                                 reason)
                        if exc.feedback is not None:
                            messages = [*messages[:2], {"role": "assistant", "content": exc.feedback[0]},
                                        {"role": "user", "content": exc.feedback[1]}]
                        continue
                    except NarrativeError as exc:  # not worth retrying
                        reason = str(exc)
                        break
                    log.info("narrative renderer accepted the rewrite after %d attempt(s)", attempts)
                    return result
        except TimeoutError:
            reason = f"no usable reply within {self.timeout_s:g} s"
        except NarrativeError as exc:
            reason = str(exc)
        except Exception as exc:  # noqa: BLE001 - any failure falls back to the deterministic report
            reason = f"{type(exc).__name__}: {exc}"
        log.warning("narrative renderer fell back to the deterministic report after %d attempt(s): %s",
                    attempts, reason)
        return det

    async def _attempt(self, client: httpx.AsyncClient, messages: list[dict[str, str]]) -> tuple[str, dict[str, Any]]:
        body = {"model": self.model, "messages": messages, "temperature": 0.2,
                "response_format": {"type": "json_object"}}
        try:
            resp = await client.post(f"{self.base_url}/chat/completions", json=body)
        except httpx.TransportError as exc:  # connection refused/reset, per-request timeout
            raise _Retryable(f"request failed: {type(exc).__name__}: {exc}") from exc
        if resp.status_code in (408, 429) or resp.status_code >= 500:
            raise _Retryable(f"endpoint answered HTTP {resp.status_code}")
        if not resp.is_success:
            raise NarrativeError(f"endpoint answered HTTP {resp.status_code}")
        try:
            content = resp.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise _Retryable("reply has no choices[0].message.content") from exc
        if not isinstance(content, str):
            raise _Retryable("reply content is not a string")
        try:
            return content, _parse_content(content)
        except NarrativeError as exc:
            raise _Retryable(str(exc), content) from exc

    def _accept(self, det: RenderedReport, reply: tuple[str, dict[str, Any]], attempts: int, language: str,
                server_version: str) -> RenderedReport:
        content, doc = reply
        doc = dict(doc)
        doc.pop("meta", None)  # ours, not the model's
        labels = ["renderer:llm", f"conduit:{server_version}", f"lang:{language}"]
        labels += [x for x in det.json["meta"]["prompt"]["labels"] if x.startswith(("fallback:", "reliability:"))]
        doc["meta"] = {
            "prompt": {**copy.deepcopy(det.json["meta"]["prompt"]), "labels": labels},
            "render": {"provider": PROVIDER, "model": self.model, "attempts": attempts},
        }
        try:
            validate_report_json(doc)
        except SchemaError as exc:
            raise _Retryable(f"schema: {exc}", content, exc.violations) from exc
        errors = fidelity_violations(det.json, doc)
        if det.caveat and not str(doc.get("summary", "")).startswith(det.caveat):
            errors.append(f"$.summary: must open with the caution paragraph, word for word: {det.caveat!r}")
        if errors:
            raise _Retryable("fidelity: " + "; ".join(errors), content, errors)
        claims = [Claim(c.section_key, s.text, c.indicator_keys)
                  for c, s in zip(det.claims, _slots(doc), strict=True)]
        return RenderedReport(doc, report_markdown(doc), claims, det.reliability, det.caveat)


class _Retryable(NarrativeError):
    def __init__(self, message: str, content: str | None = None, violations: list[str] | None = None) -> None:
        super().__init__(message)
        self.feedback: tuple[str, str] | None = None
        if content is not None:
            why = "\n".join(f"- {v}" for v in (violations or [message]))
            self.feedback = (content, "Your reply was rejected:\n" + why + "\nReturn the corrected JSON object only, "
                                      "following every rule.")
