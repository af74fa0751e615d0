"""Markdown renderings of report and matching JSON (docs/api.md §13 and §14): same content, same order."""

from __future__ import annotations

from typing import Any


def report_markdown(doc: dict[str, Any]) -> str:
    out = [f"# {doc['title']}", "", doc["summary"], ""]
    for s in doc["sections"]:
        out += [f"## {s['title']}", ""]
        if s["kind"] == "traits":
            out += [f"- {p}" for p in s["phrases"]] + ["", s["body"]]
        elif s["kind"] == "paragraph":
            out.append(s["body"])
        else:
            out += [f"- **{i['title']}**: {i['context']}" for i in s["items"]]
        out.append("")
    return "\n".join(out)


def _content_md(content: Any) -> list[str]:
    if isinstance(content, list):
        return [line for c in content for line in _content_md(c)]
    kind = content["type"]
    if kind == "text":
        return ([f"### {content['title']}", ""] if content.get("title") else []) + [content["content"], ""]
    if kind == "card":
        return [f"- **{content['title']}** ({content['icon']}): {content['content']}"]
    if kind == "grid":
        return [line for item in content["items"] for line in _content_md(item)] + [""]
    return []


def matching_markdown(doc: dict[str, Any]) -> str:
    out = [f"# {doc['title']}", "", doc["summary"], ""]
    for s in doc["sections"]:
        out += [f"## {s['section_title']}", ""] + _content_md(s["section_content"])
    return "\n".join(out).rstrip("\n") + "\n"
