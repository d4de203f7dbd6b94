"""Run a float32 NumPy reference script as the exact answer, or as a float32 computation
whose roundings differ: the ensemble that says how far float32 can wander.

Not imported by specc's compiler: `specc.runner` writes this file's text beside a NumPy
script, with a call at its end, and runs it like any script, so nothing of specc is loaded
where it runs. The script itself is unchanged: its initial weights (the `init` dict every
NumPy script defines) become `Tracked` arrays, and every NumPy operation on them, or on
anything computed from them, goes through `Tracked.__array_ufunc__`:

- `exact`: the weights are held in float64 and every operation is carried out in float64,
  never rounded back. The data, the initial weights and the hyper-parameters are the float32
  experiment's (a Python float meeting a float32 array is a float32 number, as in NumPy),
  so this is the same experiment, computed about 5e8 times more accurately. `fmt` prints
  each value's float64 repr.
- `random`: a float32 computation whose roundings differ from the reference's the way
  other correct float32 libraries' do. Every matrix product and sum adds its terms in a
  random order (as another kernel, blocking or vector width would); every result of a
  function that libraries each compute their own way (exp, log, tanh, ...) rounds to one of
  its two neighbouring float32 values at random, up with a probability equal to its distance
  from the lower one (stochastic rounding, Verificarlo's random rounding at 24 bits), which
  is within an ulp and unbiased; every correctly rounded operation (+, -, *, /, sqrt)
  rounds to nearest, as IEEE arithmetic does on every machine.
"""

import ast
import builtins
import contextlib
import io
import math
import sys

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

_STATE = {"mode": "exact", "rng": None}


# Functions that libraries compute each their own way, within about an ulp: their results
# round at random. Every other operation (+, -, *, /, sqrt, comparisons...) is correctly
# rounded by IEEE arithmetic on every machine, and rounds to nearest here too: a summed loss
# then stalls at a float32 fixed point as every framework's does.
_LIBM = {
    np.exp,
    np.exp2,
    np.expm1,
    np.log,
    np.log2,
    np.log10,
    np.log1p,
    np.sin,
    np.cos,
    np.tan,
    np.tanh,
    np.sinh,
    np.cosh,
    np.arctan,
    np.arcsin,
    np.arccos,
    np.arctanh,
    np.power,
    np.float_power,
    np.logaddexp,
    np.logaddexp2,
    np.cbrt,
}


_SPECIAL = _LIBM | {np.matmul}  # what a random run computes otherwise than NumPy would


class Tracked(np.ndarray):
    """A float32 value of the experiment: stored in float64 (`exact`) or float32 (`random`)."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if _STATE["mode"] == "random" and method == "__call__" and ufunc not in _SPECIAL:
            return _as_is(ufunc, inputs, kwargs)  # stored as float32: NumPy computes it so
        if _STATE["mode"] == "random" and ufunc is np.add and method == "at":
            return _add_at(*(_plain(x) for x in inputs))
        out = kwargs.pop("out", None)
        plain = [_plain(x) for x in inputs]
        if not _float32_result(ufunc, method, inputs, kwargs):
            if out is not None:
                kwargs["out"] = tuple(_plain(o) for o in out)
            result = getattr(ufunc, method)(*plain, **kwargs)
            return out[0] if out is not None and len(out) == 1 else result
        if _STATE["mode"] == "exact" or (ufunc in _LIBM and method == "__call__"):
            wide = [_wide(x) for x in inputs]
            if kwargs.get("dtype") is not None:
                kwargs["dtype"] = np.float64
            result = getattr(ufunc, method)(*wide, **kwargs)
            if _STATE["mode"] != "exact":
                result = _round(result)
        else:
            narrow = [_narrow(x) for x in inputs]
            if ufunc is np.matmul and method == "__call__" and not kwargs:
                result = _matmul(*narrow)
            elif ufunc is np.add and method == "reduce" and _plain_reduce(kwargs):
                axis, keepdims = kwargs.get("axis", 0), kwargs.get("keepdims", False)
                result = _sum(narrow[0], axis, keepdims)
            else:  # correctly rounded in IEEE arithmetic: every machine gives the same float32
                result = getattr(ufunc, method)(*narrow, **kwargs)
        if out is not None:
            _plain(out[0])[...] = result
            return out[0]
        return np.asarray(result, dtype=_storage()).view(Tracked)


def _as_is(ufunc, inputs, kwargs):
    """A correctly rounded operation in float32 arithmetic, as NumPy computes it."""
    if not kwargs:  # most operations: the fast path of a run that makes many small ones
        result = ufunc(*[x.view(np.ndarray) if type(x) is Tracked else x for x in inputs])
        kind = type(result)
        if kind is np.ndarray:
            return result.view(Tracked) if result.dtype == _FLOAT32 else result
        return np.asarray(result).view(Tracked) if kind is np.float32 else result
    out = kwargs.get("out")
    if out is not None:
        kwargs["out"] = tuple(_plain(o) for o in out)
    result = ufunc(*[_plain(x) for x in inputs], **kwargs)
    if out is not None:
        return out[0] if len(out) == 1 else out
    if isinstance(result, np.ndarray | np.float32) and result.dtype == np.float32:
        return np.asarray(result).view(Tracked)
    return result


_FLOAT32 = np.dtype(np.float32)


def _plain_reduce(kwargs) -> bool:
    """A sum over whole axes (`ndarray.sum` passes `where=True` itself)."""
    return "initial" not in kwargs and kwargs.get("where", True) is True


def _storage() -> type:
    return np.float64 if _STATE["mode"] == "exact" else np.float32


def _plain(x):
    return x.view(np.ndarray) if isinstance(x, Tracked) else x


def _nominal(x):
    """What NumPy's type resolution sees: a Tracked float is a float32."""
    if isinstance(x, Tracked):
        return np.dtype(np.float32) if x.dtype.kind == "f" else x.dtype
    if isinstance(x, bool | int | float | complex):
        return type(x)  # a Python number is "weak": it takes the array's type
    return np.asarray(x).dtype


def _float32_result(ufunc, method, inputs, kwargs) -> bool:
    """Whether NumPy would compute this in float32 (else it runs as it is)."""
    if method not in ("__call__", "reduce", "accumulate"):
        return False
    if kwargs.get("dtype") is not None:
        return np.dtype(kwargs["dtype"]) == np.float32
    key = (ufunc, method, *(_nominal(x) for x in inputs))
    if key not in _RESOLVED:
        _RESOLVED[key] = _resolves_to_float32(ufunc, method, key[2:])
    return _RESOLVED[key]


_RESOLVED: dict = {}  # (ufunc, method, operand types) -> whether NumPy computes in float32


def _resolves_to_float32(ufunc, method, dtypes) -> bool:
    try:
        if method == "__call__":
            resolved = ufunc.resolve_dtypes((*dtypes, *[None] * ufunc.nout))
        else:
            resolved = ufunc.resolve_dtypes((None, dtypes[0], None), reduction=True)
    except (TypeError, ValueError, np.exceptions.DTypePromotionError):
        return False
    return all(d == np.float32 for d in resolved[-ufunc.nout :])


def _wide(x):
    """An operand in float64, holding exactly the float32 value NumPy would compute with."""
    if isinstance(x, Tracked):
        x = x.view(np.ndarray)
        return x.astype(np.float64) if x.dtype.kind == "f" else x
    if isinstance(x, float):
        return float(np.float32(x))
    if isinstance(x, np.ndarray | np.floating) and x.dtype == np.float32:
        return np.asarray(x, dtype=np.float64)
    return x


def _narrow(x):
    """An operand as NumPy's float32 arithmetic takes it."""
    if isinstance(x, Tracked):
        return x.view(np.ndarray)
    if isinstance(x, float):
        return np.float32(x)
    return x


# A float64 holds a float32's 24 significant bits and 29 more below them: adding a random
# 29-bit number to those low bits and clearing them rounds the magnitude up with a chance
# equal to its distance from the float32 below (stochastic rounding, unbiased), in a few
# integer passes. Carries cross into the exponent, as the next float32 does.
_LOW = np.uint64((1 << 29) - 1)


def _round(value):
    """Each float64 value rounded to a neighbouring float32 at random, unbiased."""
    value = np.asarray(value, dtype=np.float64)
    bits = value.view(np.uint64) + (_raw(value.shape) & _LOW)
    with np.errstate(all="ignore"):  # past float32's range: inf, as rounding gives
        rounded = (bits & ~_LOW).view(np.float64).astype(np.float32)
        return np.where(np.isfinite(value), rounded, value.astype(np.float32))


def _nudge(value):
    """A float32 sum's value, rounded once more at random from a point within half an ulp
    of it: a kernel that fuses or widens its last additions ends an ulp either way."""
    value = np.asarray(value, dtype=np.float32)
    wide = value.astype(np.float64)
    half = np.uint64(1 << 28)  # half a float32 ulp, in the float64's low bits
    draws = _raw(value.shape)  # two 29-bit numbers: the point's offset, then the rounding's
    shift = (draws & _LOW) + ((draws >> np.uint64(32)) & _LOW)
    with np.errstate(all="ignore"):  # 0, inf and nan wrap around: they are kept as they are
        bits = wide.view(np.uint64) + shift - half  # within half an ulp either way, then rounded
        rounded = (bits & ~_LOW).view(np.float64).astype(np.float32)
    return np.where(np.isfinite(value) & (value != 0), rounded, value)


def _raw(shape) -> np.ndarray:
    """Uniform random 64-bit integers: each of their bits is a fair coin."""
    return _STATE["rng"].bit_generator.random_raw(math.prod(shape)).reshape(shape)


def _matmul(a, b):
    """a @ b in float32, its terms added in a random order (as another kernel would)."""
    k = a.shape[-1]
    order = _STATE["rng"].permutation(k)
    a32, b32 = np.asarray(a, dtype=np.float32)[..., order], np.asarray(b, dtype=np.float32)
    b32 = b32[order] if b.ndim == 1 else b32[..., order, :]
    return _nudge(np.matmul(a32, b32))


def _add_at(table, ids, values):
    """np.add.at(table, ids, values) in float32, a scatter-add (an embedding's gradient) whose
    additions come in a random order, as another scatter kernel's would."""
    ids, row = np.asarray(ids), table.shape[1:]
    values = np.broadcast_to(values, (*ids.shape, *row)).reshape(ids.size, *row)
    order = _STATE["rng"].permutation(ids.size)
    np.add.at(table, ids.reshape(-1)[order], values[order])


def _sum(x, axis, keepdims):
    """x.sum(axis) in float32, its terms added in a random order."""
    x = np.asarray(x, dtype=np.float32)
    axes = range(x.ndim) if axis is None else normalize_axis_tuple(axis, x.ndim)
    axes = tuple(axes)
    kept = [d for d in range(x.ndim) if d not in axes]
    flat = np.transpose(x, kept + list(axes)).reshape(*[x.shape[d] for d in kept], -1)
    flat = flat[..., _STATE["rng"].permutation(flat.shape[-1])]
    result = _nudge(np.add.reduce(flat, axis=-1))
    return np.expand_dims(result, axes) if keepdims else result


def _track(init, namespace):
    """The initial weights as Tracked arrays, holding the same float32 values; and the
    float32 data the script has made by then (its inputs, targets and `predict` rows), so
    that what it computes from them alone (`x**3`) rounds as the rest does."""
    for name, value in list(namespace.items()):
        if type(value) is np.ndarray and value.dtype == np.float32:
            namespace[name] = value.astype(_storage()).view(Tracked)
    return {
        name: np.asarray(value).astype(_storage()).view(Tracked) for name, value in init.items()
    }


def _fmt(values):
    """Each value's float64 repr: the exact answer to its last digit."""
    return " ".join(repr(float(v)) for v in np.asarray(values, dtype=np.float64).ravel())


def run(path: str, mode: str, seed: int = 0) -> str:
    """What the script at `path` prints when run in `mode` ("exact" or "random", the
    random roundings drawn from `seed`)."""
    _STATE["mode"], _STATE["rng"] = mode, np.random.default_rng(seed)
    with open(path, encoding="utf-8") as file:
        source = file.read()
    tree = ast.parse(source, path)
    body = []
    for node in tree.body:
        if _saves(node):
            continue  # the reference's own run writes the trained weights; the band's do not
        body.append(node)
        names = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
        if "init" in names:
            body.append(ast.parse("init = __specc_track__(init, globals())").body[0])
        if isinstance(node, ast.FunctionDef) and node.name == "fmt" and mode == "exact":
            body.append(ast.parse("fmt = __specc_fmt__").body[0])
    tree.body = body
    namespace = {
        "__name__": "__main__",
        "__file__": path,
        "__builtins__": builtins,
        "__specc_track__": _track,
        "__specc_fmt__": _fmt,
    }
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(ast.fix_missing_locations(tree), path, "exec"), namespace)
    return buffer.getvalue()


def _saves(node):
    """`np.savez(...)`: the script writing its trained weights (`save "name"`)."""
    call = node.value if isinstance(node, ast.Expr) else None
    return isinstance(call, ast.Call) and ast.unparse(call.func) == "np.savez"


MEMBER = "### member "  # the line starting each member's report in an ensemble's output


def main(path: str, mode: str, members: int = 1, first: int = 1) -> None:
    """Print the exact run, or `members` random-rounding runs each under its MEMBER line."""
    if mode == "exact":
        sys.stdout.write(run(path, "exact"))
        return
    for seed in range(first, first + members):
        sys.stdout.write(f"{MEMBER}{seed}\n{run(path, 'random', seed)}")
