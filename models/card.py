"""The model card, written with every training (markdown and offline HTML).

Both renderings come from the same sections (``card_sections``), so they
always say the same thing: what the model predicts, the data window and rows,
the label rates, the validation metrics, the calibration table, the top
features and any notes (e.g. why the empirical rate was used instead).
Numbers are printed with 4 decimals; the exact values are in the artifact's
JSON metadata.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from models.risk import CATEGORICAL_FEATURES, MAX_TRAIN_ROWS, NUMERIC_FEATURES, TrainedModel

Section = tuple[str, str, Any]  # (title, "text" | "table" | "list", content)
TOP_FEATURES = 10


def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def card_sections(trained: TrainedModel, context: dict[str, Any] | None = None) -> list[Section]:
    context = context or {}
    m, rows, window = trained.metrics, trained.rows, trained.data_window
    kind = (
        "Empirical rate per case type (fallback; no model was trained)"
        if trained.is_fallback
        else f"HistGradientBoosting in a ColumnTransformer pipeline, {trained.calibration_method} calibration"
    )
    sections: list[Section] = [
        (
            "What it predicts",
            "text",
            "The probability that the AI agent's handling of a case goes wrong, from what is known when the "
            f"AI takes the case. {trained.label_definition}",
        ),
        (
            "Model",
            "table",
            (
                ["item", "value"],
                [
                    ["version", trained.version],
                    ["kind", kind],
                    ["training data SHA-256", trained.data_sha256],
                    ["random state", str(trained.random_state)],
                    ["parameters", ", ".join(f"{k}={v}" for k, v in sorted(trained.params.items()))],
                    ["scikit-learn", trained.sklearn_version],
                    ["categorical features", ", ".join(CATEGORICAL_FEATURES)],
                    ["numeric features", ", ".join(NUMERIC_FEATURES)],
                ]
                + [[k, fmt(v)] for k, v in context.items()],
            ),
        ),
        (
            "Data",
            "table",
            (
                ["item", "value"],
                [
                    ["cases scored", fmt(rows["scored"])],
                    ["cases labelled", fmt(rows["labelled"])],
                    ["cases with a final (mature) label", fmt(rows["mature"])],
                    ["labelled cases left out (label not final)", fmt(rows["immature_excluded"])],
                    ["training cases", fmt(rows["train"])],
                    ["validation cases", fmt(rows["validation"])],
                    ["scored window", f"{fmt(window['scored_from'])} to {fmt(window['scored_to'])}"],
                    ["training window", f"{fmt(window['train_from'])} to {fmt(window['train_to'])}"],
                    ["validation window", f"{fmt(window['validation_from'])} to {fmt(window['validation_to'])}"],
                    ["split", f"by time: the latest {trained.split['validation_share']:.0%} of labelled cases validate, "
                              f"at most the latest {MAX_TRAIN_ROWS:,} before them train"],
                    ["training label rate", fmt(trained.split.get("train_label_rate"))],
                    ["validation label rate", fmt(m.get("label_rate"))],
                ],
            ),
        ),
        (
            "Validation metrics",
            "table",
            (
                ["metric", "value"],
                [
                    ["ROC AUC", fmt(m.get("roc_auc"))],
                    ["PR AUC (average precision)", fmt(m.get("pr_auc"))],
                    ["Brier score", fmt(m.get("brier"))],
                    ["Brier score of the base rate", fmt(m.get("brier_base_rate"))],
                    ["Brier skill (1 - Brier / base-rate Brier)", fmt(m.get("brier_skill"))],
                    ["expected calibration error (ECE)", fmt(m.get("ece"))],
                    ["mean predicted risk", fmt(m.get("mean_predicted"))],
                    ["observed rate", fmt(m.get("label_rate"))],
                    ["validation cases (went wrong)", f"{fmt(m.get('rows'))} ({fmt(m.get('positives'))})"],
                ],
            ),
        ),
        (
            "Calibration",
            "table",
            (
                ["bin", "cases", "predicted range", "mean predicted", "observed rate"],
                [
                    [
                        str(b["bin"]),
                        str(b["rows"]),
                        f"{b['predicted_min']:.4f} - {b['predicted_max']:.4f}",
                        fmt(b["mean_predicted"]),
                        fmt(b["observed_rate"]),
                    ]
                    for b in trained.calibration
                ],
            ),
        ),
        (
            "Top features",
            "table",
            (
                ["feature", "permutation importance (drop in ROC AUC)", "std"],
                [[f["feature"], fmt(f["importance"]), fmt(f["std"])] for f in trained.importances[:TOP_FEATURES]],
            ),
        ),
        ("Notes", "list", trained.notes or ["none"]),
    ]
    return sections


def render_model_card_markdown(trained: TrainedModel, context: dict[str, Any] | None = None) -> str:
    lines = [f"# Risk model card: {trained.version}", ""]
    for title, kind, content in card_sections(trained, context):
        lines += [f"## {title}", ""]
        if kind == "text":
            lines += [content, ""]
        elif kind == "list":
            lines += [f"- {item}" for item in content] + [""]
        else:
            headers, rows = content
            if not rows:
                lines += ["(none)", ""]
                continue
            lines.append("| " + " | ".join(headers) + " |")
            lines.append("|" + "|".join("---" for _ in headers) + "|")
            lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
            lines.append("")
    return "\n".join(lines)


def _reliability_svg(trained: TrainedModel, size: int = 260) -> str:
    """A small reliability diagram: mean predicted vs observed rate per bin, against the diagonal."""
    if not trained.calibration:
        return ""
    top = max(0.05, max(max(b["mean_predicted"], b["observed_rate"]) for b in trained.calibration))
    top = min(1.0, top * 1.1)
    pad = 30
    scale = (size - 2 * pad) / top

    def xy(px: float, py: float) -> tuple[float, float]:
        return pad + px * scale, size - pad - py * scale

    x0, y0 = xy(0, 0)
    x1, y1 = xy(top, top)
    points = "".join(
        f'<circle cx="{xy(b["mean_predicted"], b["observed_rate"])[0]:.1f}" '
        f'cy="{xy(b["mean_predicted"], b["observed_rate"])[1]:.1f}" r="4" fill="#2563eb">'
        f"<title>bin {b['bin']}: predicted {b['mean_predicted']:.4f}, observed {b['observed_rate']:.4f}</title>"
        "</circle>"
        for b in trained.calibration
    )
    return (
        f'<svg width="{size}" height="{size}" role="img" aria-label="reliability diagram">'
        f'<rect x="{pad}" y="{pad}" width="{size - 2 * pad}" height="{size - 2 * pad}" fill="none" stroke="#ccc"/>'
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#999" stroke-dasharray="4"/>'
        f"{points}"
        f'<text x="{size / 2}" y="{size - 6}" text-anchor="middle" font-size="11">mean predicted (0 - {top:.2f})</text>'
        f'<text x="10" y="{size / 2}" font-size="11" transform="rotate(-90 10 {size / 2})" '
        f'text-anchor="middle">observed rate</text></svg>'
    )


def render_model_card_html(trained: TrainedModel, context: dict[str, Any] | None = None) -> str:
    e = html.escape
    body = [f"<h1>Risk model card: {e(trained.version)}</h1>"]
    for title, kind, content in card_sections(trained, context):
        body.append(f"<h2>{e(title)}</h2>")
        if kind == "text":
            body.append(f"<p>{e(content)}</p>")
        elif kind == "list":
            body.append("<ul>" + "".join(f"<li>{e(item)}</li>" for item in content) + "</ul>")
        else:
            headers, rows = content
            if not rows:
                body.append("<p>(none)</p>")
            else:
                body.append(
                    "<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr></thead><tbody>"
                    + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
                    + "</tbody></table>"
                )
            if title == "Calibration":
                body.append(_reliability_svg(trained))
    style = (
        "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#111;padding:0 1em}"
        "table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ddd;padding:4px 8px;"
        "text-align:left;vertical-align:top}th{background:#f5f5f5}h2{margin-top:1.6em}"
    )
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Risk model card {e(trained.version)}</title><style>{style}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def write_model_card(trained: TrainedModel, directory: Path, context: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write model_card.md / model_card.html (the latest) and <version>.md (kept per version)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    markdown = render_model_card_markdown(trained, context)
    paths = {
        "markdown": directory / "model_card.md",
        "html": directory / "model_card.html",
        "versioned": directory / f"{trained.version}.md",
    }
    paths["markdown"].write_text(markdown)
    paths["versioned"].write_text(markdown)
    paths["html"].write_text(render_model_card_html(trained, context))
    return paths
