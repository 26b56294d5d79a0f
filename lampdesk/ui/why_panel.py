"""The "Why this answer" panel: what passed between the retriever, the prompt and the model."""

from __future__ import annotations

import html
from typing import Any

from lampdesk.ui.qt import QTextBrowser, QWidget


def why_html(result: dict[str, Any]) -> str:
    """Render one answer's record (``AskResult.as_json()``) for people."""
    esc = html.escape
    parts = [f"<h3>Why this answer</h3><p><i>{esc(result['question'])}</i></p>"]
    parts.append(_mode_html(result))
    if result["items"]:
        parts.append("<h4>What it used from your profile</h4><ol>")
        for item in result["items"]:
            why = dict(item["why"])
            origin = why.pop("from", None)  # where an imported item came from
            signals = "; ".join(f"{name}: {_details(info)}" for name, info in why.items())
            came = (
                f"<br><small>from {esc(origin['file'])}, {esc(origin['position'])} · "
                f"{esc(origin['source'])} · {esc(origin['date'])}</small>"
                if origin
                else ""
            )
            parts.append(
                f"<li>{esc(item['text'])}{came}<br><small>score {item['score']:.4f} · "
                f"{esc(signals) or 'no signal'}</small></li>"
            )
        parts.append("</ol>")
    else:
        parts.append(f"<p>{esc(result['note'] or 'No remembered items were used.')}</p>")
    if result["rules"]:
        parts.append("<h4>Rules applied</h4><ul>")
        for rule in result["rules"]:
            blocked = rule["blocked_terms"]
            extra = f" <small>(blocks: {esc(', '.join(blocked))})</small>" if blocked else ""
            parts.append(f"<li>{esc(rule['text'])}{extra}</li>")
        parts.append("</ul>")
        if result["blocked_terms"]:
            parts.append(
                f"<p>Removed from the answer: {esc(', '.join(result['blocked_terms']))}</p>"
            )
    parts.append(constraints_html(result.get("constraints", [])))
    if result["dropped"]:
        cut = ", ".join(d["what"] for d in result["dropped"])
        parts.append(f"<p>Cut to fit the model's context: {esc(cut)}</p>")
    ttft = result["ttft_ms"]
    first = f"first word after {ttft:.0f} ms · " if ttft is not None else ""
    parts.append(f"<h4>Timings</h4><p>{first}")
    parts.append(
        f"{result['tokens']} tokens at {result['tok_per_s']:.0f}/s · prompt "
        f"{result['prompt_tokens']} tokens, {result['reused_tokens']} reused from the cache · "
        f"retrieval {result['retrieval_ms']:.0f} ms · model {esc(result['model'])}</p>"
    )
    for warning in result.get("warnings", []):
        parts.append(f"<p style='color:#b00020'>{esc(warning)}</p>")
    parts.append("<h4>The exact prompt</h4>")
    for message in result["messages"]:
        parts.append(
            f"<p><b>{esc(message['role'])}</b></p>"
            f"<pre style='white-space: pre-wrap'>{esc(message['content'])}</pre>"
        )
    return "".join(parts)


def _mode_html(result: dict[str, Any]) -> str:
    """How the answer was made: grounded (from which memory) or free, and why."""
    esc = html.escape
    route = result.get("route") or {}
    mode = result.get("mode", "free")
    text = f"<p><b>Mode: {esc(mode)}</b> \u2014 {esc(route.get('reason', ''))}"
    grounding = result.get("grounding") or {}
    source = grounding.get("source")
    if mode == "grounded":
        text += (
            f"<br>Answered from {esc(source['kind'])} {esc(source['ref'])}: "
            f"\u201c{esc(source['text'])}\u201d"
            if source
            else "<br>Nothing in your profile answers it, so LampDesk says it does not know."
        )
    for resolved in route.get("resolved", []):
        text += (
            f"<br>\u201c{esc(resolved['phrase'])}\u201d is {esc(resolved['value'])} "
            f"(from {esc(resolved['source'])} {esc(resolved['ref'])})"
        )
    return text + "</p>"


def _details(info: Any) -> str:
    """One signal's record (rank, raw score, contribution, ...) as a short phrase."""
    if not isinstance(info, dict):
        return str(info)
    parts = []
    for key, value in info.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        parts.append(f"{key.replace('_', ' ')} {shown}")
    return ", ".join(parts)


class WhyPanel(QTextBrowser):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("why-panel")
        self.setPlaceholderText("Why this answer? It shows here.")

    def show_result(self, result: dict[str, Any]) -> None:
        self.setHtml(why_html(result))


def constraints_html(constraints: list[dict[str, Any]]) -> str:
    """What the answer was kept to: each constraint, where it came from, whether it fired."""
    if not constraints:
        return ""
    esc = html.escape
    parts = ["<h4>Constraints kept</h4><ul>"]
    for c in constraints:
        if not c["enabled"]:
            state = "switched off"
        elif not c["enforced"]:
            state = "not enforced for this question"
        elif c["fired"]:
            kept = ", ".join(c["terms_kept_out"])
            state = "kept something out" + (f": {esc(kept)}" if kept else "")
        else:
            state = "nothing to keep out"
        sources = "; ".join(c["sources"])
        parts.append(
            f"<li>{esc(c['label'])} <small>({state}; from {esc(sources)}; "
            f"{c['excludes']} excluded words)</small></li>"
        )
    parts.append("</ul>")
    return "".join(parts)
