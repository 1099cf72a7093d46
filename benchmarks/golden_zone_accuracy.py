"""How often is the shelf verdict right? Golden-zone verdicts on a held-out rendered set.

For every rendered photo, 1-2 SKUs standing on the main fixture (and, one time in four, a SKU
that isn't in the photo at all) are declared featured. The ground truth comes from the
generator's sidecar: a featured SKU is "in the zone" when one of its facings (at least half
visible) stands on a golden row of its fixture under the default policy. The photo goes
through the served path (decode, ONNX detector, rows, identification against one reference
shot per SKU, verdict), and the verdict's status is compared with the truth.

A fixture whose top is outside the frame (a row missing, or the top row cut by the frame's
edge) can't be judged by counting rows from the top; such photos are reported separately: the
right answer there is ``needs_review`` (a rep is asked to include the whole fixture).

    python -m benchmarks.golden_zone_accuracy --data var/gz-eval --model models/X.onnx
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from benchmarks.options import command_line
from vision.detector import Detections, DetectorConfig, ShelfDetector
from vision.golden_zone import GoldenZonePolicy
from vision.photo_decode import DecodeLimits, decode_photo
from vision.photo_exif import read_exif
from vision.product_embedder import ProductEmbedder
from vision.product_gallery import EMBEDDER_POLICY, GalleryPolicy, ProductGallery
from vision.shelf_verification import ShelfPolicies, judge_pixels, verify_shelf_photo


def truth(meta: dict, featured: list[str], policy: GoldenZonePolicy) -> tuple[bool, bool]:
    """(passes, determinable) for the featured SKUs under ``policy``."""
    fixtures = {f["index"]: f for f in meta["fixtures"]}
    complete = {}
    margin = 0.01 * meta["height"]
    for index, fixture in fixtures.items():
        rows = sorted(s["row"] for s in fixture["shelves"])
        top_in_view = all(s["box"][1] > margin for s in fixture["shelves"] if s["row"] == 1)
        complete[index] = rows == list(range(1, fixture["rows"] + 1)) and top_in_view
    passes, determinable = True, True
    for sku in featured:
        facings = [p for p in meta["products"] if p["sku"] == sku and p["visible"] >= 0.5]
        in_zone = False
        for facing in facings:
            fixture = fixtures[facing["fixture"]]
            determinable &= complete[facing["fixture"]]
            if facing["row"] in policy.golden_rows(fixture["rows"]):
                in_zone = True
        passes &= in_zone
    return passes, determinable


def oracle_detections(meta: dict) -> Detections:
    """The sidecar's product and shelf-band boxes as if the detector had found them."""
    products = [p["box"] for p in meta["products"] if p["visible"] >= 0.3]
    shelves = [s["box"] for f in meta["fixtures"] for s in f["shelves"]]
    boxes = np.array(products + shelves, dtype=np.float32).reshape(-1, 4)
    classes = np.array([0] * len(products) + [1] * len(shelves), dtype=np.int64)
    return Detections(boxes, np.ones(len(boxes), np.float32), classes, "oracle")


def main() -> None:
    parser = command_line(__doc__, data=Path, model=Path, images=300, seed=7, json=False,
                          show_errors=False)
    parser.add_argument("--embedder", type=Path, default=None,
                        help="product embedder ONNX (default: the hand-built descriptor)")
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--prefilter", type=float, default=None)
    parser.add_argument("--verdicts", type=Path, default=None,
                        help="write each photo's verdict (status, reason codes, featured rows) "
                        "as JSON lines, to compare two commits verdict by verdict")
    parser.add_argument("--rect", action="store_true",
                        help="pad each photo only to the model's stride, not to the square")
    parser.add_argument("--oracle-boxes", action="store_true",
                        help="use the sidecar's boxes instead of the detector: measures rows, "
                        "identification and verdict alone")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    detector = ShelfDetector(args.model, DetectorConfig(threads=2, rect=args.rect))
    references = {p.stem: [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)]
                  for p in sorted((args.data / "references").glob("*.png"))}
    policy_values = {k: v for k, v in (("threshold", args.threshold),
                                       ("prefilter", args.prefilter)) if v is not None}
    if args.embedder is not None:
        embedder = ProductEmbedder(args.embedder)
        gallery = ProductGallery(references, replace(EMBEDDER_POLICY, **policy_values),
                                 describe=embedder.embed)
    else:
        gallery = ProductGallery(references, GalleryPolicy(**policy_values))
    policy = GoldenZonePolicy()
    outcome: Counter[str] = Counter()
    confusion: Counter[tuple[str, str, bool]] = Counter()
    timings = []
    metas = sorted((args.data / "meta").rglob("*.json"))[: args.images]
    verdict_lines = []
    for meta_path in metas:
        meta = json.loads(meta_path.read_text())
        main_fixture = next((f["index"] for f in meta["fixtures"] if f["main"]), None)
        standing = sorted({p["sku"] for p in meta["products"]
                           if p["fixture"] == main_fixture and p["visible"] >= 0.5
                           and p["pose"] == "standing"})
        if not standing:
            continue
        featured = list(rng.choice(standing, size=min(len(standing), int(rng.integers(1, 3))),
                                   replace=False))
        if rng.random() < 0.25:
            absent = sorted(set(references) - {p["sku"] for p in meta["products"]})
            featured.append(str(rng.choice(absent)))
        expected, determinable = truth(meta, featured, policy)
        image_path = args.data / "images" / meta_path.parent.name / meta["image"]
        started = time.perf_counter()
        data = image_path.read_bytes()
        policies = ShelfPolicies(golden_zone=policy)
        if args.oracle_boxes:
            photo = decode_photo(data, DecodeLimits(target_long_side=None))
            verdict = judge_pixels(photo, read_exif(data), detector=detector, gallery=gallery,
                                   featured=featured, policies=policies,
                                   detections=oracle_detections(meta))
        else:
            verdict = verify_shelf_photo(data, detector=detector, gallery=gallery,
                                         featured=featured, policies=policies)
        timings.append((time.perf_counter() - started) * 1000)
        status = verdict.status.value
        verdict_lines.append(json.dumps({
            "image": meta["image"], "featured": featured, "status": status,
            "reasons": sorted([r.code, r.message] for r in verdict.reasons),
            "rows": {p.sku: [p.facings_in_zone, p.facings_elsewhere, list(p.rows)]
                     for p in verdict.featured}}))
        want = "verified" if expected else "rejected"
        confusion[(want, status, determinable)] += 1
        if args.show_errors and determinable and status != want:
            print(f"{meta['image']}: want {want}, got {status}: featured {featured}; "
                  + "; ".join(f"{r.code}" for r in verdict.reasons) + " | "
                  + ", ".join(f"{p.sku} in={p.facings_in_zone} out={p.facings_elsewhere} "
                              f"rows={p.rows}" for p in verdict.featured))
        if determinable:
            outcome["judgeable"] += 1
            outcome["correct"] += status == want
            outcome["review"] += status == "needs_review"
        else:
            outcome["cut_off"] += 1
            outcome["cut_off_review"] += status == "needs_review"
            outcome["cut_off_wrong"] += status not in (want, "needs_review")
    if args.verdicts is not None:
        args.verdicts.write_text("".join(line + "\n" for line in verdict_lines))
    judged = max(outcome["judgeable"], 1)
    result = {
        "photos": outcome["judgeable"] + outcome["cut_off"],
        "judgeable": outcome["judgeable"],
        "correct_share": outcome["correct"] / judged,
        "review_share": outcome["review"] / judged,
        "cut_off": outcome["cut_off"],
        "cut_off_review_share": outcome["cut_off_review"] / max(outcome["cut_off"], 1),
        "cut_off_wrong_share": outcome["cut_off_wrong"] / max(outcome["cut_off"], 1),
        "median_ms": float(np.median(timings)) if timings else None,
        "confusion": {f"{w}->{s}{'' if d else ' (cut off)'}": n
                      for (w, s, d), n in sorted(confusion.items())},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"| photos | judgeable | correct | needs review | cut-off photos | cut-off -> review "
          f"| cut-off wrong | median ms |\n|---|---|---|---|---|---|---|---|\n"
          f"| {result['photos']} | {result['judgeable']} | {result['correct_share']:.1%} | "
          f"{result['review_share']:.1%} | {result['cut_off']} | "
          f"{result['cut_off_review_share']:.1%} | {result['cut_off_wrong_share']:.1%} | "
          f"{result['median_ms']:.0f} |")
    for key, count in result["confusion"].items():
        print(f"  {key}: {count}")


if __name__ == "__main__":
    main()
