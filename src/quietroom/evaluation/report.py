"""Writing an evaluation as JSON, Markdown and HTML with PNG plots (DET curves, bars)."""
from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from .metrics import det_points

KEYS = ("eer_ignorant", "eer_lazy_informed", "eer_semi_informed", "wer_original", "wer_anonymized",
        "pii_recall", "pii_precision", "audio_leak_rate")


def _plots(folder: Path, figures: dict, extras: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import norm

    names = []
    for attacker in ("ignorant", "lazy_informed", "semi_informed"):
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        for label, scores in (("QuietRoom", extras["scores"]), ("B2 baseline", extras["baseline_scores"])):
            far, frr = det_points(*scores[attacker])
            clip = lambda p: norm.ppf(np.clip(p, 1e-3, 1 - 1e-3))  # noqa: E731
            ax.plot(clip(far), clip(frr), label=label)
        ticks = [0.01, 0.05, 0.2, 0.5, 0.8, 0.95]
        ax.set_xticks(norm.ppf(ticks), [f"{t:.0%}" for t in ticks])
        ax.set_yticks(norm.ppf(ticks), [f"{t:.0%}" for t in ticks])
        ax.set_xlabel("false acceptance")
        ax.set_ylabel("false rejection")
        ax.set_title(f"DET, {attacker.replace('_', '-')} attacker")
        ax.legend()
        fig.tight_layout()
        name = f"det_{attacker}.png"
        fig.savefig(folder / name, dpi=100)
        plt.close(fig)
        names.append(name)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    x = np.arange(len(KEYS))
    ax.bar(x - 0.2, [figures[k] for k in KEYS], 0.4, label="QuietRoom")
    ax.bar(x + 0.2, [figures["baseline"][k] for k in KEYS], 0.4, label="B2 baseline")
    ax.set_xticks(x, [k.replace("_", "\n") for k in KEYS], fontsize=7)
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "summary.png", dpi=100)
    plt.close(fig)
    return names + ["summary.png"]


def pii_table(pii: dict) -> list[str]:
    """Markdown rows: PII recall per entity in each style, then overall recall and precision."""
    styles = sorted(pii)
    entities = sorted({e for block in pii.values() for e in block["entities"]})
    rows = ["| PII recall | " + " | ".join(styles) + " |", "| --- |" + " --- |" * len(styles)]
    for e in entities:
        cells = [f"{pii[s]['entities'][e]['recall']:.3f} ({pii[s]['entities'][e]['spans']})"
                 if e in pii[s]["entities"] else "" for s in styles]
        rows.append(f"| {e} | " + " | ".join(cells) + " |")
    rows.append("| all entities | " + " | ".join(f"{pii[s]['recall']:.3f} ({pii[s]['spans']})" for s in styles) + " |")
    rows.append("| precision | " + " | ".join(f"{pii[s]['precision']:.3f} ({pii[s]['detections']})" for s in styles) + " |")
    return rows


def write(folder: Path, figures: dict, extras: dict) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "evaluation.json").write_text(json.dumps(figures, indent=2) + "\n")
    images = _plots(folder, figures, extras)
    rows = [f"| {k} | {figures[k]:.3f} | {figures['baseline'][k]:.3f} |" for k in KEYS]
    md = ["# QuietRoom privacy evaluation", "", "| figure | QuietRoom | B2 baseline |", "| --- | --- | --- |", *rows,
          "", *pii_table(figures["pii"]), "", f"Setup: `{json.dumps(figures['setup'])}`", ""] + [f"![{n}]({n})" for n in images]
    (folder / "report.md").write_text("\n".join(md) + "\n")
    cells = "".join(f"<tr><td>{html.escape(k)}</td><td>{figures[k]:.3f}</td><td>{figures['baseline'][k]:.3f}</td></tr>"
                    for k in KEYS)
    imgs = "".join(f'<img src="{html.escape(n)}" alt="{html.escape(n)}">' for n in images)
    (folder / "report.html").write_text(
        "<!doctype html><meta charset=utf-8><title>QuietRoom privacy evaluation</title>"
        f"<h1>QuietRoom privacy evaluation</h1><table><tr><th>figure</th><th>QuietRoom</th><th>B2</th></tr>{cells}"
        f"</table><pre>{html.escape(json.dumps(figures['setup'], indent=2))}</pre>{imgs}\n")
    return [folder / "evaluation.json", folder / "report.md", folder / "report.html"] + [folder / n for n in images]
