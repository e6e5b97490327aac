"""How a predictor is stored: data only, never code, behind a versioned header and a checksum.

An artifact is :data:`HEADER` followed by a skops file: a zip of one JSON tree naming each
object's type and attributes, and the arrays in ``.npy`` entries (read without pickle). Loading
builds each object from its stored attributes (``__new__`` then ``__setstate__``); nothing in
the file is ever called. Before anything is built the tree is audited: only the types of
:func:`trusted_types` are accepted (the engine's containers plus what every registered family
and task declares in ``artifact_types``), next to skops' own defaults (Python and numpy values,
scipy sparse matrices, scikit-learn estimators). A file naming any other type is refused.

Large state is stored as arrays: vocabularies (:mod:`.features`), kNN training vectors, linear
coefficients; a fine-tuned encoder's weights are safetensors bytes (:mod:`.minilm_network`).

Artifacts written before this format are pickles without a header. :func:`load_predictor`
refuses them (:class:`LegacyArtifactError`): exports and any other bytes from outside go
through it. Only the server, reading its own artifact store at the key and checksum its
database recorded, may still unpickle them (:mod:`.legacy_pickle`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from .families import families
from .features import TextFeatures
from .predictor import Member, Predictor
from .tasks import tasks

__all__ = ["ARTIFACT_FORMAT", "HEADER", "ArtifactIntegrityError", "ArtifactFormatError", "LegacyArtifactError",
           "UntrustedArtifactError", "artifact_checksum", "verify_checksum", "is_legacy_artifact",
           "trusted_types", "dump_predictor", "load_predictor"]

ARTIFACT_FORMAT = "u22a8-predictor/2"
HEADER = ARTIFACT_FORMAT.encode("ascii") + b"\n"
_PICKLE_START = b"\x80"  # every pickle protocol >= 2 opens with PROTO; the platform wrote 4 or 5

# The engine's own containers: a predictor, its members and their features.
_ENGINE_TYPES: tuple[type, ...] = (Predictor, Member, TextFeatures)


class ArtifactIntegrityError(ValueError):
    """The artifact's bytes do not match the checksum recorded when it was stored, or they are
    not a predictor the platform wrote."""


class ArtifactFormatError(ArtifactIntegrityError):
    """The bytes are not an artifact of the current format."""


class LegacyArtifactError(ArtifactFormatError):
    """A pickled artifact from before the current format: never loaded from outside the server."""


class UntrustedArtifactError(ArtifactIntegrityError):
    """The artifact names a type outside :func:`trusted_types`; nothing in it was built."""


def artifact_checksum(artifact: bytes) -> str:
    return hashlib.sha256(artifact).hexdigest()


def verify_checksum(artifact: bytes, sha256: str) -> None:
    """Raise :class:`ArtifactIntegrityError` unless ``sha256`` is the SHA-256 of ``artifact``."""
    actual = artifact_checksum(artifact)
    if actual != str(sha256).lower():
        raise ArtifactIntegrityError(f"artifact checksum mismatch: expected {sha256}, got {actual}")


def is_legacy_artifact(artifact: bytes) -> bool:
    """Whether ``artifact`` looks like a pickled artifact from before the current format."""
    return not artifact.startswith(HEADER) and artifact.startswith(_PICKLE_START)


def trusted_types() -> list[type]:
    """Every type an artifact may name besides skops' defaults, from the registries as they are now."""
    found: dict[str, type] = {}
    extra = [t for task in tasks() for t in task.artifact_types]
    extra += [t for family in families() for t in family.artifact_types()]
    for t in (*_ENGINE_TYPES, *extra):
        found[f"{t.__module__}.{t.__qualname__}"] = t
    return list(found.values())


# skops is imported where it is used, not with this module: at import it builds its list of
# trusted scikit-learn types by importing every scikit-learn module (and torch through them),
# seconds that a server, a worker or the CLI would otherwise pay at start before it needs a file.
# A training process imports it at start all the same (warm_artifact_format): every run ends by
# writing an artifact, and those seconds would otherwise count against the first run's ceiling.

def warm_artifact_format() -> None:
    """Import the artifact reader and writer (skops) now rather than at the first file."""
    import skops.io  # noqa: F401


def dump_predictor(predictor: Predictor) -> bytes:
    import skops.io

    return HEADER + skops.io.dumps(predictor)


def load_predictor(artifact: bytes, sha256: str) -> Predictor:
    """The predictor in ``artifact``: the checksum first, then the format, then the audited load.

    Safe for bytes from anywhere: a pickle, a file of another format or one naming a type not
    trusted is refused with an :class:`ArtifactIntegrityError` and nothing in it runs.
    """
    verify_checksum(artifact, sha256)
    if not artifact.startswith(HEADER):
        if is_legacy_artifact(artifact):
            raise LegacyArtifactError(
                "this artifact is a pickle written by an older u22a8 and is not loaded here "
                "(a pickle can run code); download the version again from the server, which "
                f"writes the current format ({ARTIFACT_FORMAT})")
        raise ArtifactFormatError(f"not a u22a8 predictor (expected the {ARTIFACT_FORMAT} header)")
    predictor = _load_audited(artifact)
    if not isinstance(predictor, Predictor):
        raise ArtifactIntegrityError(f"artifact holds a {type(predictor).__name__}, not a Predictor")
    return predictor


def _load_audited(artifact: bytes) -> Any:
    # skops audits the whole tree against the trusted list before it builds any object. The
    # header stays in front: zip readers skip leading bytes (as for self-extracting archives),
    # and cutting it off would copy the whole artifact.
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    trusted = [f"{t.__module__}.{t.__qualname__}" for t in trusted_types()]
    try:
        return skops.io.loads(artifact, trusted=trusted)
    except UntrustedTypesFoundException as exc:
        raise UntrustedArtifactError(f"artifact names types that are not trusted: {exc}") from None
    except Exception as exc:  # a damaged or foreign file: whatever skops' reader raised
        raise ArtifactFormatError(f"not a readable u22a8 predictor: {type(exc).__name__}: {exc}") from None
