#!/usr/bin/env python3
"""Draws docs/hook-in-deploy-and-rollout.png: where the hook sits in a deploy and in the org rollout.

    pip install matplotlib && python docs/figures/make_figure.py
"""

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "hook-in-deploy-and-rollout.png"
HOOK, AWS, YOU, BAD = "#f4b183", "#bdd7ee", "#e2f0d9", "#f8cbad"


def box(ax, x, y, w, h, text, color, size=9):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=color, edgecolor="#333333", linewidth=1))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, wrap=True)


def arrow(ax, a, b, text="", color="#333333", style="-|>", rad=0.0, at=None, ha="center"):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle=style, mutation_scale=12, color=color, linewidth=1.2,
                                 connectionstyle=f"arc3,rad={rad}"))
    if text:
        x, y = at or ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 + 0.12)
        ax.text(x, y, text, ha=ha, fontsize=7.5, color=color,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1} if at else None)


fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 8.2), gridspec_kw={"height_ratios": [1, 1]})
for ax in (top, bottom):
    ax.set_xlim(0, 12)
    ax.set_ylim(0, 4)
    ax.axis("off")

top.set_title("1. In every deploy: the hook decides before CloudFormation provisions", loc="left", fontsize=11,
              fontweight="bold")
box(top, 0.1, 2.4, 1.9, 1.0, "Template / change set\n(pipeline or console)", YOU)
box(top, 2.6, 2.4, 2.2, 1.0, "CloudFormation\nCHANGE_SET / STACK /\nRESOURCE (pre-provision)", AWS)
box(top, 5.5, 2.2, 2.6, 1.4, "DataPerimeter::ECR::\nReplicationGuard\n(handlers -> pure core)", HOOK, 10)
box(top, 8.8, 3.0, 3.0, 0.8, "SUCCESS: ECR replication, policy,\npull-through cache provisioned", YOU)
box(top, 8.8, 1.5, 3.0, 1.2, "FAIL mode: FAILED NonCompliant, nothing\nprovisioned; reason + annotations in\nstack events. WARN mode: a warning,\nthe deploy goes on", BAD)
box(top, 5.5, 0.2, 2.6, 1.1, "Trusted set: type configuration\n+ AWS Organizations (cached)", AWS)
box(top, 0.1, 0.2, 4.7, 1.1, "Same verdict before deploy:\nhook-handler scan (CI, pre-commit) -> text/json/SARIF/JUnit", YOU)
arrow(top, (2.0, 2.9), (2.6, 2.9))
arrow(top, (4.8, 2.9), (5.5, 2.9), "invoke")
arrow(top, (8.1, 3.1), (8.8, 3.4))
arrow(top, (8.1, 2.6), (8.8, 2.2), color="#c00000")
arrow(top, (6.8, 1.3), (6.8, 2.2), "trust")
arrow(top, (4.8, 0.75), (5.5, 0.75), "same core")

bottom.set_title("2. Across the organization: one StackSet keeps the hook on in every account and Region",
                 loc="left", fontsize=11, fontweight="bold")
box(bottom, 0.1, 2.5, 2.3, 1.2, "make package\n-> S3 package bucket\n(org-readable, TLS only)", YOU)
box(bottom, 3.0, 2.5, 2.6, 1.2, "Management / delegated\nadmin account:\norg-stackset.yaml", AWS)
box(bottom, 6.3, 2.5, 5.5, 1.2, "Every account x Region of the chosen OUs (auto-deploy for new accounts):\n"
    "hook-registration.yaml = execution role + HookVersion +\nHookDefaultVersion + HookTypeConfig (WARN, then FAIL)", HOOK)
box(bottom, 7.3, 0.3, 4.5, 1.3, "Hook stacks StackSet-<name>-* are excluded\nfrom the hook's own StackFilters: a bad\n"
    "configuration cannot lock the rollout\n(or its fix) out", BAD)
box(bottom, 0.1, 0.3, 5.5, 1.3, "Organizations read role (management account, read-only): assumable\n"
    "only by the organization's hook execution roles (aws:PrincipalOrgID)", AWS)
arrow(bottom, (2.4, 3.1), (3.0, 3.1), "template")
arrow(bottom, (1.25, 2.5), (7.0, 2.5), "each HookVersion reads the zip\n(s3:GetObject, aws:PrincipalOrgID)",
      rad=0.2, at=(3.2, 1.95))
arrow(bottom, (5.6, 3.1), (6.3, 3.1), "StackSet")
arrow(bottom, (9.55, 2.5), (9.55, 1.6), "", style="-")
arrow(bottom, (6.5, 2.5), (5.6, 1.2), "hook: sts:AssumeRole\n(AccountSource=Organizations)", at=(6.25, 1.85),
      ha="left")

fig.tight_layout()
fig.savefig(OUT, dpi=110)
print(OUT)
