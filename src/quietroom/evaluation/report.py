"""Writing an evaluation as JSON, Markdown and HTML with PNG plots (DET curves, bars, and the
frontier: every profile's EER against its WER ratio under the base listener)."""
from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from .metrics import det_points

KEYS = ("eer_ignorant", "eer_lazy_informed", "eer_semi_informed", "eer_informed_normalizing", "wer_original",
        "wer_anonymized", "wer_original_base", "wer_anonymized_base", "pii_recall", "pii_precision", "audio_leak_rate")
# Targets of issue 18, drawn on the frontier plot.
TARGET_WER_RATIO = 1.5
TARGET_EER_LAZY = 0.40
TARGET_EER_KERCKHOFFS = 0.30
_ATTACKERS = (("eer_lazy_informed", "lazy-informed", "o"), ("eer_semi_informed", "semi-informed", "s"),
              ("eer_informed_normalizing", "Kerckhoffs", "^"))


def _ci(interval) -> str:
    lo, hi = interval
    return f"[{'-' if lo is None else f'{lo:.3f}'}, {'∞' if hi is None else f'{hi:.3f}'}]"


def _times(ratio) -> str:
    return "–" if ratio is None else f"{ratio:.2f}×"


def frontier_rows(figures: dict) -> list[str]:
    """Markdown rows: each profile's EERs and WER ratios (with their 95 % intervals)."""
    rows = ["| profile | EER lazy | EER semi | EER Kerckhoffs | WER ratio, base | WER ratio, tiny.en |",
            "| --- | --- | --- | --- | --- | --- |"]
    for name, p in figures.get("profiles", {}).items():
        tiny = f"{_times(p['wer_ratio'])} {_ci(p['wer_ratio_ci'])}" if "wer_ratio" in p else ""
        rows.append(f"| {name} | {p['eer_lazy_informed']:.3f} | {p['eer_semi_informed']:.3f} | "
                    f"{p['eer_informed_normalizing']:.3f} | {_times(p['wer_ratio_base'])} {_ci(p['wer_ratio_base_ci'])} | {tiny} |")
    return rows


def wer_rows(figures: dict) -> list[str]:
    """Markdown rows: WER of both listeners, original and anonymised, with intervals."""
    rows = ["| listener | system | WER original | WER anonymised | ratio |", "| --- | --- | --- | --- | --- |"]
    for suffix, listener in (("", "tiny.en"), ("_base", "base")):
        for label, block in (("QuietRoom", figures), ("B2", figures["baseline"])):
            rows.append(f"| {listener} | {label} | {block['wer_original' + suffix]:.3f} {_ci(block['wer_original' + suffix + '_ci'])} "
                        f"| {block['wer_anonymized' + suffix]:.3f} {_ci(block['wer_anonymized' + suffix + '_ci'])} "
                        f"| {_times(block['wer_ratio' + suffix])} {_ci(block['wer_ratio' + suffix + '_ci'])} |")
    return rows


def kerckhoffs_rows(figures: dict) -> list[str]:
    rows = ["| Kerckhoffs strategy | QuietRoom | B2 |", "| --- | --- | --- |"]
    ours, b2 = figures["kerckhoffs"]["strategies"], figures["baseline"]["kerckhoffs"]["strategies"]
    rows += [f"| {name} | {ours[name]:.3f} | {b2[name]:.3f} |" for name in ours]
    return rows


def _frontier_plot(folder: Path, figures: dict, plt) -> str:
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    # A profile whose original WER is 0 has no ratio (only tiny test runs): left off the plot.
    profiles = {name: p for name, p in figures["profiles"].items() if p.get("wer_ratio_base") is not None}
    for key, label, marker in _ATTACKERS:
        xs = [p["wer_ratio_base"] for p in profiles.values()]
        ys = [p[key] for p in profiles.values()]
        ax.scatter(xs, ys, marker=marker, label=label)
    for name, p in profiles.items():
        lo, hi = p["wer_ratio_base_ci"]
        x = p["wer_ratio_base"]
        hi = hi if hi is not None else x  # an unbounded end (no original errors in a draw) is not drawn
        lo = lo if lo is not None else x
        eers = [p[k] for k, _l, _m in _ATTACKERS]
        ax.plot([x, x], [min(eers), max(eers)], color="0.8", lw=0.8, zorder=0)  # one profile's attackers
        ax.errorbar([x], [p["eer_lazy_informed"]], xerr=[[x - lo], [hi - x]], fmt="none", ecolor="0.6", lw=0.8)
        ax.annotate(name, (x, max(eers)), textcoords="offset points", xytext=(3, 4), fontsize=8)
    ax.axvline(TARGET_WER_RATIO, color="0.5", ls="--", lw=0.8, label=f"target WER ≤ {TARGET_WER_RATIO}×")
    ax.axhline(TARGET_EER_LAZY, color="C0", ls=":", lw=0.8, label=f"target lazy ≥ {TARGET_EER_LAZY}")
    ax.axhline(TARGET_EER_KERCKHOFFS, color="C2", ls=":", lw=0.8, label=f"target Kerckhoffs ≥ {TARGET_EER_KERCKHOFFS}")
    ax.set_xlabel("WER anonymised / original, Whisper base (95 % CI on lazy point)")
    ax.set_ylabel("EER (higher = more private)")
    ax.set_title("Privacy against intelligibility, every profile")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "frontier.png", dpi=100)
    plt.close(fig)
    return "frontier.png"



def _plots(folder: Path, figures: dict, extras: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import norm

    names = []
    for attacker in ("ignorant", "lazy_informed", "semi_informed", "informed_normalizing"):
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
    return names + ["summary.png", _frontier_plot(folder, figures, plt)]


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
          "", *wer_rows(figures), "", *kerckhoffs_rows(figures), "", *frontier_rows(figures), "",
          *pii_table(figures["pii"]), "", f"Setup: `{json.dumps(figures['setup'])}`", ""] + [f"![{n}]({n})" for n in images]
    (folder / "report.md").write_text("\n".join(md) + "\n")
    cells = "".join(f"<tr><td>{html.escape(k)}</td><td>{figures[k]:.3f}</td><td>{figures['baseline'][k]:.3f}</td></tr>"
                    for k in KEYS)
    imgs = "".join(f'<img src="{html.escape(n)}" alt="{html.escape(n)}">' for n in images)
    (folder / "report.html").write_text(
        "<!doctype html><meta charset=utf-8><title>QuietRoom privacy evaluation</title>"
        f"<h1>QuietRoom privacy evaluation</h1><table><tr><th>figure</th><th>QuietRoom</th><th>B2</th></tr>{cells}"
        f"</table><pre>{html.escape(json.dumps(figures['setup'], indent=2))}</pre>{imgs}\n")
    return [folder / "evaluation.json", folder / "report.md", folder / "report.html"] + [folder / n for n in images]
