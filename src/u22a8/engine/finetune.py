"""Fine-tuning the MiniLM sentence encoder itself on a model's samples, on the CPU (effort max).

:func:`fine_tune` trains the packaged all-MiniLM-L6-v2 network plus a linear classification
head on labelled texts (AdamW, linear warm-up then decay, seeded) and returns a
:class:`FineTunedEncoder`: the trained weights as safetensors bytes plus the head. The encoder
embeds texts like the frozen MiniLM (mean-pooled, L2-normalised) and gives class logits; its
state is data only (the weights as safetensors bytes, the head as arrays, no network), so it
travels inside a version's checksummed artifact and is rebuilt at load time into a fresh copy
of the packaged architecture. Nothing is downloaded.

Only the trained weights are stored (the word-embedding table stays frozen and comes from the
package), in float16. The in-memory network is loaded back from exactly
those bytes before it is used, so a loaded artifact predicts what the trained one did.

Time and cancel: ``should_stop`` is checked between batches (raises :class:`SearchCanceled`);
past ``deadline`` training stops between batches and the encoder says it is incomplete
(``complete`` False) so the caller can discard it rather than serve a half-trained network.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .minilm_network import (TOKENIZER_LOCK, base_network, mean_pool, tokenizer, torch_threads, weights_from_bytes,
                             weights_to_bytes)
from .types import SearchCanceled

__all__ = ["Recipe", "FineTunedEncoder", "TunedLogits", "fine_tune", "probe_seconds_per_text", "planned_steps", "training_threads",
           "TRAIN_SECONDS_PER_TEXT", "ENCODE_SECONDS_PER_TEXT", "LOAD_SECONDS"]

# Cost-model constants from the reference machine (bench/RESULTS.md), at max length 64: one
# training pass over one text (forward + backward + AdamW, batch 32), and one inference pass.
TRAIN_SECONDS_PER_TEXT = 9.5e-3
ENCODE_SECONDS_PER_TEXT = 3.0e-3
LOAD_SECONDS = 6.0  # importing torch + transformers and reading the base weights, once per process
# The head sees the unit-length embedding times this: logits of a useful size from the start
# without letting the norm of the pooled vector (which varies with length) act as confidence.
_SCALE = 20.0


@dataclass(frozen=True)
class Recipe:
    """How to fine-tune; plain JSON in a version's params so a refit can repeat it exactly."""

    epochs: int = 3
    batch_size: int = 32
    max_length: int = 64
    lr: float = 8e-5  # encoder
    head_lr: float = 2e-3  # the new head starts from zero knowledge: a larger step
    weight_decay: float = 0.01
    warmup: float = 0.06  # share of the steps with a rising learning rate
    seed: int = 0
    # False: serve the encoder fine-tuned for the (single) protocol fold instead of fine-tuning
    # once more on all rows. Half the cost; the served encoder is then exactly the one measured.
    final_fit: bool = True
    # Torch threads. Part of the recipe because it is part of the result: 1 and 2 threads sum
    # in different orders, so the same seed gives a different network. 0: chosen by this
    # machine's load (see training_threads); a planned recipe records what was chosen so that
    # a refit repeats it exactly.
    threads: int = 0

    def to_params(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_params(cls, params: dict[str, Any] | None) -> "Recipe":
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (params or {}).items() if k in known})


_threads: int | None = None  # set by probe_seconds_per_text: the faster count measured here


def training_threads() -> int:
    """What the last probe found faster, else 2 (the reference machine's cores) on a quiet
    machine and 1 on a busy one: there two threads can be several times slower than one (each
    spins waiting for the other to be scheduled; bench/RESULTS.md)."""
    if _threads is not None:
        return _threads
    cores = max(1, min(2, os.cpu_count() or 1))
    try:
        busy = os.getloadavg()[0] > (os.cpu_count() or 1) - 0.5
    except OSError:
        busy = False
    return 1 if busy else cores


def _torch_threads(n: int | None = None) -> contextlib.AbstractContextManager[None]:
    return torch_threads(n or training_threads())



class FineTunedEncoder:
    """A fine-tuned MiniLM and its classification head; stored as data (safetensors bytes and
    arrays, see :mod:`.artifact_format`), its network built lazily from those bytes."""

    seconds_per_text = ENCODE_SECONDS_PER_TEXT
    batch_size = 64
    portable = True  # a predictor stores it with itself (see predictor.Predictor.__getstate__)

    def __init__(self, weights: bytes, head_w: np.ndarray, head_b: np.ndarray, recipe: Recipe,
                 steps_done: int, steps_planned: int) -> None:
        self.weights = weights
        self.head_w = np.asarray(head_w, dtype=np.float32)
        self.head_b = np.asarray(head_b, dtype=np.float32)
        self.recipe = recipe
        self.steps_done = steps_done
        self.steps_planned = steps_planned
        digest = hashlib.sha256(weights + self.head_w.tobytes() + self.head_b.tobytes()).hexdigest()[:16]
        self.name = f"minilm-ft-{digest}"
        self.version = f"{self.name}:norm:{recipe.max_length}"
        self._net: Any = None
        self._lock = threading.Lock()

    @property
    def complete(self) -> bool:
        return self.steps_done >= self.steps_planned

    @property
    def loaded(self) -> bool:
        return self._net is not None

    @property
    def load_seconds(self) -> float:
        return 2.0

    def _network(self) -> Any:
        with self._lock:
            if self._net is None:
                net = base_network()  # frozen parts from the package, trained ones from the bytes
                net.load_state_dict(weights_from_bytes(self.weights), strict=False)
                net.eval()
                self._net = net
        return self._net

    def adopt(self, net: Any) -> None:
        """Use ``net`` (already holding exactly ``weights``) instead of rebuilding it from bytes."""
        net.eval()
        self._net = net

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length mean-pooled embeddings, float32 (the dense block next to TF-IDF)."""
        import torch

        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.head_w.shape[1]), dtype=np.float32)
        net, tok = self._network(), tokenizer()
        with TOKENIZER_LOCK:  # one shared fast tokenizer, reconfigured per call (see its docstring)
            ids = tok(texts, truncation=True, max_length=self.recipe.max_length)["input_ids"]
        # Batches of similar lengths pad little (twice as fast on short texts). The order is a
        # function of the texts alone, so the same texts always meet the same batches.
        order = sorted(range(len(texts)), key=lambda i: (len(ids[i]), i))
        out = np.zeros((len(texts), net.config.hidden_size), dtype=np.float32)
        # One thread, always: the same texts then give bit-identical vectors whatever the load
        # or the machine's core count (a served artifact must predict what was measured).
        with _torch_threads(1), torch.inference_mode():
            for i in range(0, len(order), self.batch_size):
                rows = order[i : i + self.batch_size]
                with TOKENIZER_LOCK:
                    batch = tok.pad({"input_ids": [ids[r] for r in rows]}, return_tensors="pt")
                pooled = mean_pool(net(**batch).last_hidden_state, batch["attention_mask"])
                out[rows] = torch.nn.functional.normalize(pooled, dim=1).numpy()
        return out

    def logits(self, embeddings: np.ndarray) -> np.ndarray:
        """Class margins of the fine-tuned head from :meth:`encode`'s output."""
        e = np.asarray(embeddings, dtype=np.float64) * _SCALE
        return e @ self.head_w.astype(np.float64).T + self.head_b.astype(np.float64)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_net"] = None
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


class TunedLogits:
    """Features of the ``tuned-softmax`` member: texts → the fine-tuned head's margins.

    Shares the per-call embedding memo of :meth:`Predictor.outputs` under the encoder's name, so
    with the ``tuned-linear`` member next to it the network runs once per call.
    """

    def __init__(self, embedder: FineTunedEncoder) -> None:
        self.embed = embedder.name
        self.embedder: FineTunedEncoder | None = embedder

    def transform(self, texts: list[str], embeddings: dict[str, np.ndarray] | None = None) -> np.ndarray:
        if self.embedder is None:
            raise RuntimeError("the fine-tuned encoder was not attached")
        memo = embeddings if embeddings is not None else {}
        if self.embed not in memo:
            memo[self.embed] = self.embedder.encode(texts)
        return self.embedder.logits(memo[self.embed])

    def __getstate__(self) -> dict[str, Any]:
        # The predictor stores each encoder once (see Predictor.__getstate__); not here again.
        return {**self.__dict__, "embedder": None}


def _batches(lengths: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch's batches: shuffled, then sorted by length within pools of 50 batches.

    Texts of similar length share a batch, so little compute goes to padding (about twice as
    fast on short texts), while each batch is still a random draw from a random pool.
    """
    order = rng.permutation(len(lengths))
    pool = size * 50
    batches = []
    for i in range(0, len(order), pool):
        chunk = order[i : i + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[j : j + size] for j in range(0, len(chunk), size)]
    return [batches[k] for k in rng.permutation(len(batches))]


def planned_steps(n_texts: int, recipe: Recipe) -> int:
    return recipe.epochs * math.ceil(max(n_texts, 1) / recipe.batch_size)


def fine_tune(texts: Sequence[str], y: np.ndarray, n_labels: int, recipe: Recipe = Recipe(), *,
              weights: np.ndarray | None = None, should_stop: Callable[[], bool] | None = None,
              deadline: float | None = None, on_step: Callable[[int, int], None] | None = None) -> FineTunedEncoder:
    """Fine-tune MiniLM + a linear head on ``texts`` → ``y`` (ints in ``range(n_labels)``).

    ``weights``: per-sample loss weights. ``deadline``: a ``time.monotonic()`` value; training
    stops at the first batch boundary past it (the result then has ``complete`` False).
    ``on_step(steps_done, steps_planned)`` is called after every batch (for progress reports;
    it must be cheap or throttle itself, and it does not touch the training's random state).
    """
    import torch
    from transformers import AutoModel

    texts = [str(t) for t in texts]
    y_t = torch.as_tensor(np.asarray(y), dtype=torch.long)
    w_t = None if weights is None else torch.as_tensor(np.asarray(weights, dtype=np.float32))
    tok = tokenizer()
    encoded = tok(texts, truncation=True, max_length=recipe.max_length)["input_ids"]  # once, not per epoch
    total = planned_steps(len(texts), recipe)
    with _torch_threads(recipe.threads or None):
        net = base_network()
        # The word-embedding table is half the network (30k × 384): frozen, it costs neither
        # AdamW time nor artifact bytes (the package ships it), and short texts gain nothing
        # from moving the vectors of the few words they use.
        net.embeddings.word_embeddings.weight.requires_grad_(False)
        head = torch.nn.Linear(net.config.hidden_size, n_labels)
        torch.nn.init.zeros_(head.weight)  # no random starting preference among classes
        torch.nn.init.zeros_(head.bias)
        trained = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
        no_decay = [p for n, p in trained if n.endswith("bias") or "LayerNorm" in n]
        decay = [p for n, p in trained if not (n.endswith("bias") or "LayerNorm" in n)]
        opt = torch.optim.AdamW([
            {"params": decay, "weight_decay": recipe.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
            {"params": head.parameters(), "lr": recipe.head_lr, "weight_decay": 0.0},
        ], lr=recipe.lr)
        warm = max(1, int(recipe.warmup * total))
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / max(1, total - warm)))
        rng = np.random.default_rng(recipe.seed)
        torch.manual_seed(recipe.seed)  # dropout masks; seeded here, after any lazy model load
        net.train()
        done = 0
        lengths = np.array([len(e) for e in encoded])
        for _ in range(recipe.epochs):
            for rows in _batches(lengths, recipe.batch_size, rng):
                if should_stop and should_stop():
                    raise SearchCanceled()
                if deadline is not None and time.monotonic() > deadline:
                    break
                batch = tok.pad({"input_ids": [encoded[r] for r in rows]}, return_tensors="pt")
                pooled = mean_pool(net(**batch).last_hidden_state, batch["attention_mask"])
                logits = head(torch.nn.functional.normalize(pooled, dim=1) * _SCALE)
                loss = torch.nn.functional.cross_entropy(logits, y_t[rows], reduction="none")
                if w_t is not None:
                    loss = (loss * w_t[rows]).sum() / w_t[rows].sum().clamp(min=1e-9)
                else:
                    loss = loss.mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_([p for _, p in trained] + list(head.parameters()), 1.0)
                opt.step()
                sched.step()
                done += 1
                if on_step is not None:
                    on_step(done, total)
            else:
                continue
            break  # the deadline broke the inner loop
        weights_bytes = weights_to_bytes({n: p for n, p in trained})
        net.load_state_dict(weights_from_bytes(weights_bytes), strict=False)  # serve exactly what is stored
        head_w = head.weight.detach().to(torch.float16).to(torch.float32).numpy()
        head_b = head.bias.detach().to(torch.float16).to(torch.float32).numpy()
    encoder = FineTunedEncoder(weights_bytes, head_w, head_b, recipe, steps_done=done, steps_planned=total)
    encoder.adopt(net)
    return encoder


def probe_seconds_per_text(texts: Sequence[str], recipe: Recipe = Recipe(), steps: int = 3) -> float:
    """Seconds per text of one training pass, measured here and now on a few of ``texts``.

    The plan's constants come from an idle reference machine; a machine shared with other work
    can be several times slower, and a plan that overruns is dropped at its deadline after
    spending it. Measures with 1 and 2 threads and keeps the faster count for this process.
    """
    global _threads
    _threads = None
    # Both counts are timed whenever there are two cores: the load average cannot decide it, as
    # it lags and counts this process's own work just before (a search that had just embedded
    # its texts would look busy and fine-tune on one thread, which is slower).
    counts = [1, 2] if (os.cpu_count() or 1) >= 2 else [1]
    timings = {}
    for n in counts:
        _threads = n
        timings[n] = _probe(texts, recipe, steps)
    _threads = min(timings, key=lambda n: timings[n])
    return timings[_threads]


def _probe(texts: Sequence[str], recipe: Recipe, steps: int) -> float:
    import torch

    texts = [str(t) for t in texts]
    tok = tokenizer()
    encoded = tok(texts, truncation=True, max_length=recipe.max_length)["input_ids"]
    # Batches as training makes them (length-sorted pools of 50), drawn at evenly spaced
    # lengths so that a few stand for a whole epoch; rows are drawn with replacement when the
    # data has fewer than a pool's worth, so tiny data is not timed on a ragged last batch.
    rng = np.random.default_rng(recipe.seed)
    pool_size = recipe.batch_size * 50
    pool = rng.choice(len(encoded), size=pool_size, replace=len(encoded) < pool_size)
    pool = pool[np.argsort([len(encoded[r]) for r in pool], kind="stable")]
    picks = np.linspace(0, 49, steps + 1).round().astype(int)
    batches = [pool[p * recipe.batch_size : (p + 1) * recipe.batch_size] for p in picks]
    with _torch_threads():
        net = base_network()
        net.embeddings.word_embeddings.weight.requires_grad_(False)
        params = [p for p in net.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=recipe.lr)
        net.train()
        timed, seen = 0.0, 0
        for k, rows in enumerate(batches):
            t = time.monotonic()
            batch = tok.pad({"input_ids": [encoded[r] for r in rows]}, return_tensors="pt")
            loss = mean_pool(net(**batch).last_hidden_state, batch["attention_mask"]).pow(2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            if k > 0:  # the first step pays one-off allocations
                timed += time.monotonic() - t
                seen += len(rows)
    return timed / max(seen, 1) if seen else TRAIN_SECONDS_PER_TEXT
