"""Loops that numpy can only run through temporaries and a BLAS call, compiled by numba.

What one text's serving path repeats on every call lives here, and the one loop of training that
Python ran row by row (the dual coordinate descent's steps, see :mod:`.dual_cd`). Each kernel's result is
fixed by its arguments (no fast-math reassociation: IEEE operations in the written order), so a
caller can bound its error as for any float code. Compiled on first use in a process and cached
beside this file; importing this module is what costs (numba itself), so callers import it when
they build what uses it, not at engine import.
"""

from __future__ import annotations

from functools import cache

import numba
import numpy as np

__all__ = ["int8_bounds", "int8_candidates", "char_ngram_columns", "counted", "sparse_rows_times", "dual_steps",
           "largest_per_row", "write_ranked_json", "warm", "warm_training"]


@numba.njit(cache=True, nogil=True, boundscheck=False)
def int8_bounds(AT: np.ndarray, scale: np.ndarray, slack: np.ndarray, rest: np.ndarray, qr: np.ndarray,
                qnorm: np.float32, qrest: np.float32, approx: np.ndarray, bound: np.ndarray) -> None:  # pragma: no cover - compiled
    """For every row i of the int8 matrix ``AT.T`` (stored transposed: r × n, so the inner loop
    runs along rows and vectorises): ``approx[i] = scale[i] · (A8[i] · qr)`` and
    ``bound[i] = approx[i] + slack[i]·qnorm + rest[i]·qrest`` (float32).

    The int8 matrix is an eighth of the float32 one it stands for: small enough to stay in a
    core's cache between calls, where the float32 product read it from memory (bench/RESULTS.md,
    knn-one-text). Four columns per pass keep the running sums' traffic down."""
    r, n = AT.shape
    for i in range(n):
        approx[i] = 0.0
    j = 0
    while j + 4 <= r:
        c0, c1, c2, c3 = qr[j], qr[j + 1], qr[j + 2], qr[j + 3]
        a0, a1, a2, a3 = AT[j], AT[j + 1], AT[j + 2], AT[j + 3]
        for i in range(n):
            approx[i] += (np.float32(a0[i]) * c0 + np.float32(a1[i]) * c1) + (
                np.float32(a2[i]) * c2 + np.float32(a3[i]) * c3)
        j += 4
    while j < r:
        c = qr[j]
        a = AT[j]
        for i in range(n):
            approx[i] += np.float32(a[i]) * c
        j += 1
    for i in range(n):
        v = approx[i] * scale[i]
        approx[i] = v
        bound[i] = v + slack[i] * qnorm + rest[i] * qrest


@numba.njit(cache=True, nogil=True, boundscheck=False)
def sparse_rows_times(coef: np.ndarray, indptr: np.ndarray, cols: np.ndarray, vals: np.ndarray,
                      out: np.ndarray) -> None:  # pragma: no cover - compiled
    """``out[i] += Σ coef[cols[p]] · vals[p]`` over row i's entries p (CSR ``indptr``), float64.

    Each row's products are summed in entry order, exactly as ``np.add.reduceat`` over the
    gathered products does (the same bits), without the (entries × outputs) temporaries: one
    text's gather and product were a quarter of a megabyte each, which pushed the next member's
    arrays out of cache."""
    m = coef.shape[1]
    acc = np.empty(m)
    for i in range(len(indptr) - 1):
        start, end = indptr[i], indptr[i + 1]
        if start == end:
            continue
        c, v = cols[start], vals[start]
        for j in range(m):
            acc[j] = coef[c, j] * v
        for p in range(start + 1, end):
            c, v = cols[p], vals[p]
            for j in range(m):
                acc[j] += coef[c, j] * v
        for j in range(m):
            out[i, j] += acc[j]


@numba.njit(cache=True, nogil=True, boundscheck=False)
def int8_candidates(AT: np.ndarray, scale: np.ndarray, slack: np.ndarray, rest: np.ndarray, X: np.ndarray,
                    q: np.ndarray, qr: np.ndarray, qnorm: np.float32, qrest: np.float32, k: int,
                    tol: float) -> np.ndarray:  # pragma: no cover - compiled
    """The rows that may be among the k largest sims with ``q``: every row whose upper bound
    (:func:`int8_bounds`) reaches a floor the k-th sim cannot be below, namely the k-th largest
    float32 sim, less ``tol``, among the rows whose ``approx`` ranks in the top k (ties
    included). What one text's search did with five numpy calls and their glue, in one call."""
    n = AT.shape[1]
    approx = np.empty(n, dtype=np.float32)
    bound = np.empty(n, dtype=np.float32)
    int8_bounds(AT, scale, slack, rest, qr, qnorm, qrest, approx, bound)
    top = _kth_largest(approx, k)
    sims = np.empty(n, dtype=np.float32)
    m = 0
    for i in range(n):
        if approx[i] >= top:
            s = np.float32(0.0)
            row = X[i]
            for j in range(q.shape[0]):
                s += row[j] * q[j]
            sims[m] = s
            m += 1
    if m < k:  # fewer than k rows compare (a query with a NaN): every row is a candidate
        return np.arange(n)
    floor = _kth_largest(sims[:m], k) - tol
    count = 0
    for i in range(n):
        if bound[i] >= floor:
            count += 1
    rows = np.empty(count, dtype=np.intp)
    count = 0
    for i in range(n):
        if bound[i] >= floor:
            rows[count] = i
            count += 1
    return rows


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _kth_largest(values: np.ndarray, k: int) -> np.float32:  # pragma: no cover - compiled
    """The k-th largest of ``values`` (1 ≤ k ≤ len): one pass keeping the k largest seen in a
    sorted buffer; most values fall below its smallest and cost one comparison (numba's
    ``np.partition`` took longer than numpy's)."""
    best = np.empty(k, dtype=values.dtype)  # ascending: best[0] is the k-th largest so far
    for i in range(k):
        best[i] = values[i]
    best.sort()
    for i in range(k, len(values)):
        v = values[i]
        if v > best[0]:
            j = 1
            while j < k and best[j] < v:
                best[j - 1] = best[j]
                j += 1
            best[j - 1] = v
    return best[0]


@numba.njit(cache=True, nogil=True, boundscheck=False)
def char_ngram_columns(codes: np.ndarray, low: int, high: int, bits: int, extra: np.ndarray, keys: np.ndarray,
                       cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """(columns in increasing order, counts) of the n-grams of ``codes`` (uint64 character
    codes) for n in ``low..high``, plus the keys in ``extra``, found in the sorted ``keys``.

    An n-gram's key is its codes side by side, ``bits`` each, with n in the top bits (bit 60
    up): what ``fast_path._CharWbKeys`` builds its keys as. Everything stays uint64, as numba
    turns a mix of signed and unsigned integers into floats."""
    m = codes.shape[0]
    shift = np.uint64(bits)
    hits = np.empty(m * (high - low + 1) + extra.shape[0], dtype=np.intp)
    h = 0
    n_keys = keys.shape[0]
    for start in range(m):
        key = np.uint64(0)
        for n in range(1, high + 1):
            if start + n > m:
                break
            key = (key << shift) | codes[start + n - 1]
            if n >= low:
                term = key | (np.uint64(n) << np.uint64(60))
                at = np.searchsorted(keys, term)
                if at < n_keys and keys[at] == term:
                    hits[h] = cols[at]
                    h += 1
    for e in range(extra.shape[0]):
        at = np.searchsorted(keys, extra[e])
        if at < n_keys and keys[at] == extra[e]:
            hits[h] = cols[at]
            h += 1
    return counted(hits[:h])


@numba.njit(cache=True, nogil=True, boundscheck=False)
def counted(found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """(the distinct values of ``found`` in increasing order, how often each occurs)."""
    ordered = np.sort(found)
    h = ordered.shape[0]
    values = np.empty(h, dtype=ordered.dtype)
    counts = np.empty(h, dtype=np.intp)
    u = 0
    for p in range(h):
        if u > 0 and ordered[p] == values[u - 1]:
            counts[u - 1] += 1
        else:
            values[u] = ordered[p]
            counts[u] = 1
            u += 1
    return values[:u], counts[:u]


@numba.njit(cache=True, nogil=True, boundscheck=False)
def dual_steps(margins: np.ndarray, gram: np.ndarray, signs: np.ndarray, alpha: np.ndarray, diag: np.ndarray,
               qd: np.ndarray, change: np.ndarray) -> None:  # pragma: no cover - compiled
    """Step each row of a block in turn, in place: per column ``α ← max(α − g / q, 0)`` with
    ``g = y·margin − 1 + D·α``; a row that moves adds its signed change to ``change`` and, through
    its Gram column, to the margins of the rows still to step. The same IEEE operations in the
    same order as the numpy loop it replaced (one row's vector ops), without the GIL: two
    members' fits run side by side in threads."""
    n, p = margins.shape
    fresh = np.empty(p)
    step = np.empty(p)
    for j in range(n):
        moved = False
        for c in range(p):
            g = signs[j, c] * margins[j, c] - 1.0 + diag[j, c] * alpha[j, c]
            fresh[c] = max(alpha[j, c] - g / qd[j, c], 0.0)
            step[c] = fresh[c] - alpha[j, c]
            if step[c] != 0.0:
                moved = True
        if not moved:
            continue
        for c in range(p):
            alpha[j, c] = fresh[c]
            step[c] = step[c] * signs[j, c]
            change[j, c] += step[c]
        for i in range(j + 1, n):
            gij = gram[i, j]
            for c in range(p):
                margins[i, c] += gij * step[c]


@numba.njit(cache=True, nogil=True, boundscheck=False)
def largest_per_row(sims: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """``out[i]``: the columns of the ``m = out.shape[1]`` largest values of ``sims[i]``, in no
    particular order (of equal values at the cut, the earlier columns; NaN counts as −∞).

    What ``np.argpartition(-sims, m - 1)[:, :m]`` selects, without negating the matrix or
    partitioning all of each row: one pass keeps the m best seen so far in a min-heap, and most
    values lose one comparison against its root."""
    q, n = sims.shape
    m = out.shape[1]
    heap = np.empty(m, dtype=np.float32)
    for i in range(q):
        row = sims[i]
        idx = out[i]
        for j in range(m):  # the first m, sifted up
            v = row[j]
            if v != v:
                v = -np.inf
            c = j
            while c > 0:
                p = (c - 1) >> 1
                if heap[p] <= v:
                    break
                heap[c] = heap[p]
                idx[c] = idx[p]
                c = p
            heap[c] = v
            idx[c] = j
        for j in range(m, n):
            v = row[j]
            if not v > heap[0]:  # NaN too
                continue
            c = 0  # the root leaves; v sifts down from it
            while True:
                left = 2 * c + 1
                if left >= m:
                    break
                child = left
                if left + 1 < m and heap[left + 1] < heap[left]:
                    child = left + 1
                if v <= heap[child]:
                    break
                heap[c] = heap[child]
                idx[c] = idx[child]
                c = child
            heap[c] = v
            idx[c] = j


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _put(out: np.ndarray, pos: int, text: bytes) -> int:  # pragma: no cover - compiled
    for b in text:
        out[pos] = b
        pos += 1
    return pos


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _put_decimal(out: np.ndarray, pos: int, mantissa: int, places: int, digits: np.ndarray) -> int:  # pragma: no cover - compiled
    """Write ``mantissa · 10^-places`` as a JSON number, from its decimal digits: it decodes to
    the double nearest that decimal, as the served value is. Plain digits down to 1e-5, then
    scientific notation."""
    if mantissa == 0:
        return _put(out, pos, b"0.0")
    if mantissa < 0:
        out[pos] = 45  # -
        pos += 1
        mantissa = -mantissa
    while mantissa % 10 == 0:
        mantissa //= 10
        places -= 1
    n = 0
    while mantissa > 0:  # least significant first
        digits[n] = 48 + mantissa % 10
        mantissa //= 10
        n += 1
    point = n - places  # digits before the decimal point
    if places <= 0:
        for i in range(n - 1, -1, -1):
            out[pos] = digits[i]
            pos += 1
        for _ in range(-places):
            out[pos] = 48
            pos += 1
        return _put(out, pos, b".0")
    if point > 0:
        for i in range(n - 1, -1, -1):
            if n - 1 - i == point:
                out[pos] = 46  # .
                pos += 1
            out[pos] = digits[i]
            pos += 1
        return pos
    if point > -5:
        pos = _put(out, pos, b"0.")
        for _ in range(-point):
            out[pos] = 48
            pos += 1
        for i in range(n - 1, -1, -1):
            out[pos] = digits[i]
            pos += 1
        return pos
    out[pos] = digits[n - 1]
    pos += 1
    if n > 1:
        out[pos] = 46
        pos += 1
        for i in range(n - 2, -1, -1):
            out[pos] = digits[i]
            pos += 1
    pos = _put(out, pos, b"e-")
    exponent = 1 - point
    n = 0
    while exponent > 0:
        digits[n] = 48 + exponent % 10
        exponent //= 10
        n += 1
    for i in range(n - 1, -1, -1):
        out[pos] = digits[i]
        pos += 1
    return pos


@numba.njit(cache=True, nogil=True, boundscheck=False)
def write_ranked_json(order: np.ndarray, mantissas: np.ndarray, places: np.ndarray, names: np.ndarray,
                      starts: np.ndarray, out: np.ndarray) -> int:  # pragma: no cover - compiled
    """Write ``[{"label": L, "confidence": v, "scores": {L: v, …}}, …]`` into ``out`` and return its
    length: per row, the labels ``order[i]`` ranks (their JSON strings are
    ``names[starts[j]:starts[j + 1]]``), each with the served value ``mantissas · 10^-places`` of
    the same place; the first is the label and its confidence. ``out`` must be large enough."""
    rows, k = order.shape
    digits = np.empty(24, dtype=np.uint8)
    pos = _put(out, 0, b"[")
    for i in range(rows):
        if i:
            out[pos] = 44  # ,
            pos += 1
        first = order[i, 0]
        pos = _put(out, pos, b'{"label":')
        for b in range(starts[first], starts[first + 1]):
            out[pos] = names[b]
            pos += 1
        pos = _put(out, pos, b',"confidence":')
        pos = _put_decimal(out, pos, mantissas[i, 0], places[i, 0], digits)
        pos = _put(out, pos, b',"scores":{')
        for c in range(k):
            if c:
                out[pos] = 44
                pos += 1
            j = order[i, c]
            for b in range(starts[j], starts[j + 1]):
                out[pos] = names[b]
                pos += 1
            out[pos] = 58  # :
            pos += 1
            pos = _put_decimal(out, pos, mantissas[i, c], places[i, c], digits)
        pos = _put(out, pos, b"}}")
    return _put(out, pos, b"]")


@cache
def warm_training() -> None:
    """Compile (or load from numba's cache) the dual descent's kernel, once per process."""
    z = np.zeros((1, 1))
    dual_steps(z.copy(), z.copy(), np.ones((1, 1)), z.copy(), np.ones((1, 1)), np.ones((1, 1)), z.copy())


@cache
def warm() -> None:
    """Compile (or load from numba's cache) the serving plan's kernels for the argument types
    the plan passes, once per process: a version's load pays for it, not its first request."""
    i, u, f = np.intp, np.uint64, np.float64
    largest_per_row(np.zeros((1, 2), dtype=np.float32), np.zeros((1, 1), dtype=i))
    write_ranked_json(np.zeros((1, 1), dtype=i), np.ones((1, 1), dtype=np.int64), np.ones((1, 1), dtype=np.int64),
                      np.frombuffer(b'"a"', dtype=np.uint8), np.array([0, 3], dtype=i), np.zeros(64, dtype=np.uint8))
    counted(np.zeros(1, dtype=i))
    char_ngram_columns(np.ones(3, dtype=u), 1, 2, 2, np.zeros(0, dtype=u), np.ones(1, dtype=u), np.zeros(1, dtype=i))
    sparse_rows_times(np.zeros((2, 2)), np.array([0, 1], dtype=i), np.zeros(1, dtype=i), np.zeros(1, dtype=f),
                      np.zeros((1, 2)))
