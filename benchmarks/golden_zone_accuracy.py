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

Each photo is judged twice from the same detections: with rows from physical evidence (the
served default: shelf edges from price tags, pack base lines and bands) and with rows from the
learned bands alone (``RowSource.BANDS``, the rows before). Besides the verdicts, both print
"exact rows" (share of featured SKUs on judgeable photos whose verdict lists exactly the rows
their facings stand on) and the row recall at IoU 0.5 of ``shelf_rows`` against the sidecar's
shelf boxes, in its own convention (deck above to edge strip) and in the one people draw on
real photos and ``shelf_rows`` follows (top of the tallest packs to the edge strip).

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
from vision.detector import Detections, DetectorConfig, ShelfDetector, iou_matrix
from vision.golden_zone import GoldenZonePolicy
from vision.photo_decode import DecodeLimits, decode_photo
from vision.photo_exif import read_exif
from vision.product_embedder import ProductEmbedder
from vision.product_gallery import EMBEDDER_POLICY, GalleryPolicy, ProductGallery
from vision.shelf_geometry import GeometryPolicy, RowSource
from vision.shelf_verification import ShelfPolicies, ShelfVerdict, judge_pixels


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


def truth_rows(meta: dict, sku: str) -> tuple[int, ...]:
    """The rows (1 = top) the SKU's facings (at least half visible) stand on."""
    return tuple(sorted({p["row"] for p in meta["products"]
                         if p["sku"] == sku and p["visible"] >= 0.5}))


def truth_row_boxes(meta: dict) -> tuple[np.ndarray, np.ndarray]:
    """(N, 4) xyxy pixel boxes of the sidecar's rows: as labelled (deck above to the edge
    strip), and as people draw them (from the top of the tallest packs, at least 30%
    visible, standing on the deck)."""
    labelled, drawn = [], []
    for fixture in meta["fixtures"]:
        for shelf in fixture["shelves"]:
            x0, y0, x1, y1 = shelf["box"]
            tops = [p["box"][1] for p in meta["products"] if p["fixture"] == fixture["index"]
                    and p["row"] == shelf["row"] and p["visible"] >= 0.3]
            labelled.append([x0, y0, x1, y1])
            drawn.append([x0, min(tops) if tops else y0, x1, y1])
    return (np.array(labelled, np.float32).reshape(-1, 4),
            np.array(drawn, np.float32).reshape(-1, 4))


def matched(found: np.ndarray, truth: np.ndarray, threshold: float = 0.5) -> int:
    """How many truth boxes a found box matches one to one at IoU >= ``threshold``
    (greedy, best pairs first)."""
    if len(found) == 0 or len(truth) == 0:
        return 0
    iou = iou_matrix(truth, found)
    pairs = sorted(((float(iou[t, f]), t, f) for t, f in zip(*np.nonzero(iou >= threshold),
                                                             strict=True)), reverse=True)
    used_t: set[int] = set()
    used_f: set[int] = set()
    for _, t, f in pairs:
        if t not in used_t and f not in used_f:
            used_t.add(t)
            used_f.add(f)
    return len(used_t)


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
                        "with rows from evidence as JSON lines, to compare two commits "
                        "verdict by verdict")
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
    modes = {source: ShelfPolicies(golden_zone=policy,
                                   geometry=GeometryPolicy(rows_from=source))
             for source in (RowSource.EVIDENCE, RowSource.BANDS)}
    outcome: dict[RowSource, Counter[str]] = {m: Counter() for m in modes}
    confusion: dict[RowSource, Counter[tuple[str, str, bool]]] = {m: Counter() for m in modes}
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
        if args.oracle_boxes:
            photo = decode_photo(data, DecodeLimits(target_long_side=None))
            detections = oracle_detections(meta)
        else:
            # As verify_shelf_photo decodes, once for both row sources.
            photo = decode_photo(data, DecodeLimits(target_long_side=max(detector.imgsz, 960)))
            bgr = np.asarray(cv2.cvtColor(photo.pixels, cv2.COLOR_RGB2BGR), np.uint8)
            (detections,) = detector.detect([bgr])
        exif = read_exif(data)
        verdicts: dict[RowSource, ShelfVerdict] = {}
        for source, policies in modes.items():
            verdicts[source] = judge_pixels(photo, exif, detector=detector, gallery=gallery,
                                            featured=featured, policies=policies,
                                            detections=detections)
            if source is RowSource.EVIDENCE:
                timings.append((time.perf_counter() - started) * 1000)
        labelled, drawn = truth_row_boxes(meta)
        want = "verified" if expected else "rejected"
        for source, verdict in verdicts.items():
            _score(outcome[source], confusion[source], verdict, meta, featured, want,
                   determinable, labelled, drawn, args.show_errors and source is RowSource.EVIDENCE)
        verdict = verdicts[RowSource.EVIDENCE]
        verdict_lines.append(json.dumps({
            "image": meta["image"], "featured": featured, "status": verdict.status.value,
            "reasons": sorted([r.code, r.message] for r in verdict.reasons),
            "rows": {p.sku: [p.facings_in_zone, p.facings_elsewhere, list(p.rows)]
                     for p in verdict.featured},
            "rows_per_bay": list(verdict.rows_per_bay)}))
    if args.verdicts is not None:
        args.verdicts.write_text("".join(line + "\n" for line in verdict_lines))
    results = {source.value: _summary(outcome[source], confusion[source]) for source in modes}
    median = float(np.median(timings)) if timings else None
    if args.json:
        print(json.dumps({"median_ms": median, "rows_from": results}, indent=2))
        return
    print("| rows from | photos | judgeable | correct | needs review | cut-off photos "
          "| cut-off -> review | cut-off wrong | exact rows | row recall (sidecar) "
          "| row recall (drawn) |\n|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['photos']} | {r['judgeable']} | {r['correct_share']:.1%} | "
              f"{r['review_share']:.1%} | {r['cut_off']} | {r['cut_off_review_share']:.1%} | "
              f"{r['cut_off_wrong_share']:.1%} | {r['exact_rows_share']:.1%} "
              f"({r['exact_rows_of']}) | {r['row_recall_sidecar']:.3f} | "
              f"{r['row_recall_drawn']:.3f} |")
    print(f"median ms (rows from evidence, decode to verdict): {median or 0:.0f}")
    for name, r in results.items():
        print(f"{name}:")
        for key, count in r["confusion"].items():
            print(f"  {key}: {count}")


def _score(outcome: Counter[str], confusion: Counter[tuple[str, str, bool]],
           verdict: ShelfVerdict, meta: dict, featured: list[str], want: str,
           determinable: bool, labelled: np.ndarray, drawn: np.ndarray,
           show_errors: bool) -> None:
    """Add one photo's verdict to the counts of its row source."""
    status = verdict.status.value
    confusion[(want, status, determinable)] += 1
    if show_errors and determinable and status != want:
        print(f"{meta['image']}: want {want}, got {status}: featured {featured}; "
              + "; ".join(f"{r.code}" for r in verdict.reasons) + " | "
              + ", ".join(f"{p.sku} in={p.facings_in_zone} out={p.facings_elsewhere} "
                          f"rows={p.rows}" for p in verdict.featured))
    found = np.array([r.box for r in verdict.shelf_rows], np.float32).reshape(-1, 4)
    outcome["rows_truth"] += len(labelled)
    outcome["rows_sidecar"] += matched(found, labelled)
    outcome["rows_drawn"] += matched(found, drawn)
    if determinable:
        outcome["judgeable"] += 1
        outcome["correct"] += status == want
        outcome["review"] += status == "needs_review"
        placed = {p.sku: p.rows for p in verdict.featured}
        for sku in featured:
            rows = truth_rows(meta, sku)
            if rows:
                outcome["exact_of"] += 1
                outcome["exact"] += placed.get(sku) == rows
    else:
        outcome["cut_off"] += 1
        outcome["cut_off_review"] += status == "needs_review"
        outcome["cut_off_wrong"] += status not in (want, "needs_review")


def _summary(outcome: Counter[str], confusion: Counter[tuple[str, str, bool]]) -> dict:
    judged = max(outcome["judgeable"], 1)
    return {
        "photos": outcome["judgeable"] + outcome["cut_off"],
        "judgeable": outcome["judgeable"],
        "correct_share": outcome["correct"] / judged,
        "review_share": outcome["review"] / judged,
        "cut_off": outcome["cut_off"],
        "cut_off_review_share": outcome["cut_off_review"] / max(outcome["cut_off"], 1),
        "cut_off_wrong_share": outcome["cut_off_wrong"] / max(outcome["cut_off"], 1),
        "exact_rows_share": outcome["exact"] / max(outcome["exact_of"], 1),
        "exact_rows_of": outcome["exact_of"],
        "row_recall_sidecar": outcome["rows_sidecar"] / max(outcome["rows_truth"], 1),
        "row_recall_drawn": outcome["rows_drawn"] / max(outcome["rows_truth"], 1),
        "confusion": {f"{w}->{s}{'' if d else ' (cut off)'}": n
                      for (w, s, d), n in sorted(confusion.items())},
    }


if __name__ == "__main__":
    main()
