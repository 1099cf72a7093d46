"""Identifying packs against registered reference photos, open-set.

A SKU is registered from 1 to 5 reference photos (``visitproof products add``) and works at
once: no retraining, only a descriptor per reference (:mod:`vision.product_features`). A
detected pack is the SKU whose nearest reference is most similar, if that similarity clears
``threshold`` and beats the runner-up SKU by ``margin``; otherwise it is unknown — shelves
are full of products nobody registered, and calling them "featured" would pass fake shelves.
:meth:`ProductGallery.identify` answers that for a shelf's crops (colour prefilter first);
:meth:`ProductGallery.rank` lists the closest SKUs of one pack against all of them
(``visitproof products identify``), with the same open-set decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vision.product_embedder import INPUT_HEIGHT, INPUT_WIDTH, trim_reference
from vision.product_features import colour_histograms, product_descriptors, thumbnails
from visitproof.errors import InvalidInput

MAX_REFERENCES = 5

Describe = Callable[[Sequence[npt.NDArray[np.uint8]]], npt.NDArray[np.float32]]
"""Crops -> (N, D) unit-length rows: the hand-built descriptor or a learned embedder."""


@dataclass(frozen=True, slots=True)
class Identification:
    """The SKU a crop was identified as (None = unknown) and its cosine similarity."""

    sku: str | None
    similarity: float


@dataclass(frozen=True, slots=True)
class Match:
    """A registered SKU and the cosine similarity of its most similar reference."""

    sku: str
    similarity: float


@dataclass(frozen=True, slots=True)
class Ranking:
    """The closest SKUs of one crop, most similar first (one entry per SKU), and whether
    the best of them passes the open-set policy (``known``; False with no SKUs at all)."""

    matches: tuple[Match, ...]
    known: bool


@dataclass(frozen=True, slots=True)
class GalleryPolicy:
    """Open-set decision. ``threshold`` is the minimum cosine similarity to a reference;
    ``margin`` the minimum lead over the second-best SKU; ``prefilter`` the colour-histogram
    similarity a crop needs to any reference before the full descriptor is computed."""

    threshold: float = 0.80
    margin: float = 0.01
    prefilter: float = 0.55


# Measured with benchmarks/product_identification.py (open-set threshold chosen on half the
# SKUs, checked on the other half: 86% accepted and right, 2.4% of unknown packs accepted).
# The colour prefilter compares light-corrected crops (``scene_balance``) at 0.2: unbalanced,
# it set aside featured packs under a tint or a dim exposure before the embedder saw them
# (golden-zone verdicts on 329 held-out photos: 93.9% at 0.3, 96.7% at 0.2, 97.3% balanced
# at 0.2; benchmarks/RESULTS.md).
EMBEDDER_POLICY = GalleryPolicy(threshold=0.52, margin=0.0, prefilter=0.2)


class ProductGallery:
    """Reference descriptors per SKU. Immutable once built; build a new one to add SKUs.

    ``describe_size`` is the (H, W) pixels ``describe`` stretches every crop to (the
    embedder's ``input_size``): at 64×32, the hand-built descriptor's and 0.1.0's, a shelf's
    crops are shrunk once for the colour prefilter and the descriptor alike; at any other
    size ``describe`` gets the crops as cut, so a larger model sees their detail."""

    def __init__(self, references: Mapping[str, Sequence[npt.NDArray[np.uint8]]],
                 policy: GalleryPolicy | None = None,
                 describe: Describe = product_descriptors,
                 describe_size: tuple[int, int] = (INPUT_HEIGHT, INPUT_WIDTH)) -> None:
        self.policy = policy or GalleryPolicy()
        self._describe = describe
        self._describe_size = describe_size
        skus: list[str] = []
        crops: list[npt.NDArray[np.uint8]] = []
        owners: list[int] = []
        for sku, images in sorted(references.items()):
            if not 1 <= len(images) <= MAX_REFERENCES:
                raise InvalidInput(f"SKU {sku} needs 1 to {MAX_REFERENCES} reference images, "
                                   f"got {len(images)}", code="BAD_REFERENCES")
            skus.append(sku)
            for image in images:
                crops.append(trim_reference(image))
                owners.append(len(skus) - 1)
        self.skus: tuple[str, ...] = tuple(skus)
        self._owners = np.array(owners, dtype=np.int64)
        # References are grouped by SKU in SKU order: where each SKU's first one sits.
        self._first_reference = np.flatnonzero(np.diff(self._owners, prepend=-1))
        self._descriptors = describe(crops)
        self._colours = colour_histograms(crops)

    def __len__(self) -> int:
        return len(self.skus)

    def identify(self, crops: Sequence[npt.NDArray[np.uint8]],
                 only: Sequence[str] | None = None,
                 balance: npt.NDArray[np.float32] | None = None) -> list[Identification]:
        """Identify each (H, W, 3) RGB crop against every registered SKU. With ``only``
        (e.g. the featured SKUs), crops that look nothing like those SKUs by colour are left
        unknown without computing their full descriptor: the fast path a shelf check needs.
        The rest are still matched against *every* SKU, so a look-alike of a featured pack
        that is registered itself is not mistaken for it. ``balance`` (the photo's
        :func:`~vision.product_features.scene_balance`) corrects the crops' light for that
        colour comparison only."""
        result = [Identification(sku=None, similarity=0.0) for _ in crops]
        if not crops or not self.skus:
            return result
        focus = np.arange(len(self.skus)) if only is None else np.array(
            [self.skus.index(s) for s in only if s in self.skus], dtype=np.int64)
        if focus.size == 0:
            return result
        # Each crop resized once, for the colour prefilter and the descriptor alike.
        small = thumbnails(crops)
        # Cheap colour prefilter: most packs on a shelf are nothing like the featured SKUs.
        colour = colour_histograms(small, balance) @ self._colours[np.isin(self._owners, focus)].T
        candidates = np.flatnonzero(colour.max(axis=1) >= self.policy.prefilter)
        if candidates.size == 0:
            return result
        shrunk = tuple(small.shape[1:3]) == self._describe_size
        per_sku = self._similarity_per_sku(
            list(small[candidates]) if shrunk else [crops[int(i)] for i in candidates])
        ranked = np.sort(per_sku, axis=1)
        best = per_sku.argmax(axis=1)
        for row, index in enumerate(candidates):
            top = float(ranked[row, -1])
            second = float(ranked[row, -2]) if per_sku.shape[1] > 1 else -1.0
            if self._accepts(top, second):
                result[int(index)] = Identification(sku=self.skus[int(best[row])],
                                                    similarity=top)
            else:
                result[int(index)] = Identification(sku=None, similarity=top)
        return result

    def rank(self, crops: Sequence[npt.NDArray[np.uint8]], top: int = 5) -> list[Ranking]:
        """For each (H, W, 3) RGB crop, the ``top`` most similar SKUs (best reference per
        SKU; ties in SKU order) out of *every* registered one, no colour prefilter, and
        whether the best passes the policy exactly as :meth:`identify` would accept it.
        The crops are described as given (a studio shot is not trimmed here)."""
        if top < 1:
            raise InvalidInput(f"top must be at least 1, got {top}", code="BAD_TOP")
        if not self.skus:
            return [Ranking(matches=(), known=False) for _ in crops]
        if not crops:
            return []
        per_sku = self._similarity_per_sku(list(crops))
        positions = np.arange(len(self.skus))
        rankings = []
        for row in per_sku:
            order = np.lexsort((positions, -row))  # most similar first, then SKU order
            best = float(row[order[0]])
            second = float(row[order[1]]) if order.size > 1 else -1.0
            rankings.append(Ranking(
                matches=tuple(Match(self.skus[int(i)], float(row[int(i)])) for i in order[:top]),
                known=self._accepts(best, second)))
        return rankings

    def _similarity_per_sku(self, crops: Sequence[npt.NDArray[np.uint8]]
                            ) -> npt.NDArray[np.float32]:
        """(N, SKUs) cosine of each crop to each SKU's most similar reference."""
        similarity = self._describe(crops) @ self._descriptors.T
        # Each SKU's references are adjacent columns, starting at its first reference.
        per_sku: npt.NDArray[np.float32] = np.maximum.reduceat(
            similarity, self._first_reference, axis=1)
        return per_sku

    def _accepts(self, best: float, second: float) -> bool:
        """The open-set decision: close enough to a reference, and clear of the runner-up."""
        return best >= self.policy.threshold and best - second >= self.policy.margin

