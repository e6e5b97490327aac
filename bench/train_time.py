"""Time from POST /train (effort low) to ready on Banking77, and the test accuracy it reached.

    python bench/train_time.py [--effort low]
"""

from __future__ import annotations

import argparse
import platform
import time

from _common import Server, banking77, train_model, write_section


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--effort", default="low")
    args = ap.parse_args()
    train, test = banking77("train"), banking77("test")
    with Server() as server, server.client() as http:
        result = train_model(http, "bench.banking77", train, args.effort)
        correct = 0
        for i in range(0, len(test), 500):
            batch = test[i : i + 500]
            preds = http.post("/v1/models/bench.banking77/predict", json={"inputs": [x["text"] for x in batch]}).json()
            correct += sum(p["label"] == x["label"] for p, x in zip(preds["predictions"], batch))
        acc = correct / len(test)
    run = result["run"]
    lines = [
        f"## Train: POST /train → ready on Banking77 (effort {args.effort})",
        f"`python bench/train_time.py --effort {args.effort}` on {time.strftime('%Y-%m-%d')}, "
        f"{platform.processor() or platform.machine()}, 2 cores.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| train samples / test samples | {len(train)} / {len(test)} |",
        f"| POST /train → state ready (wall) | {result['wall_seconds']:.1f} s |",
        f"| run CPU seconds | {run['cpu_seconds']:.1f} s |",
        f"| trials done | {run['trials_done']} |",
        f"| test accuracy (test.csv, over HTTP) | {acc:.2%} |",
        f"| cross-validated score on train (run best_score) | {run['best_score']:.4f} |",
    ]
    text = "\n".join(lines)
    print(text)
    write_section(f"train-time-{args.effort}", text)


if __name__ == "__main__":
    main()
