"""Where an audit's heavy stages run: in this process (``local``) or on a Ray cluster (``ray``).

Both executors run the same code path and give the same results; an executor only decides
where two stages happen:

* **collection** of the configured channels. The local executor runs the collectors one after
  another in this process. The Ray executor runs every file-based section (``files``,
  ``calls``, ``email``, ``sms``, ``chat``, and ``social`` sections that read a local export)
  as a Ray task, so a month of transcripts is parsed on many cores; sections that fetch over
  the network (``web``, ``social`` feeds by URL) stay in this process, where the crawler's
  politeness rules (robots.txt, one queue per host) hold for the whole run.
* **embedding** of the sentences the vector cache does not hold. Locally: the cache's own
  batches, shortest first. On Ray: a Ray Data pipeline, ``map_batches`` over an actor pool
  whose actors each load the model once. Cache look-ups and writes stay in this process, so
  the cluster never needs the store.

Ray is an optional extra (``pip install 'brand-auditor[ray]'``); it is imported only when the
Ray executor is created.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from auditor.errors import ToolError

if TYPE_CHECKING:
    import numpy as np  # imported where vectors are made: rules-only runs never load it

    from auditor.config import AuditConfig, ChannelSection
    from auditor.embedding import Embedder
    from auditor.engine import Progress
    from auditor.types import CollectionError, Touchpoint

EXECUTORS = ("local", "ray")
#: Texts per Ray Data batch: big enough to keep an actor busy, small enough to bound memory.
RAY_BATCH = 256
#: Sentences handed to one Ray Data pipeline at a time: each pipeline starts an actor pool
#: (every actor loads the model), so few big pipelines; 32,768 rows of 512 float32 = 64 MB.
RAY_CHUNK = 32_768
#: Channel kinds whose sections read local files and can run anywhere the files are.
FILE_KINDS = ("files", "calls", "email", "sms", "chat")


class Executor(Protocol):
    """Runs an audit's collection and embedding stages."""

    name: str
    batch_size: int | None  # sentences per embedding call; None: the engine's default

    def collect_sections(self, config: AuditConfig, progress: Progress | None = None
                         ) -> Iterator[tuple[ChannelSection, Touchpoint | CollectionError]]:
        """Every configured section's touchpoints and errors, section by section, each
        announced to ``progress`` as it starts; a long collector running here (a crawl) tells
        it how far it is."""
        ...

    def encode(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        """``embedder.encode(texts)``, wherever this executor runs models."""
        ...

    def close(self) -> None: ...


def collect_section(section: ChannelSection, config: AuditConfig,
                    progress: Progress | None = None) -> Iterator[Touchpoint | CollectionError]:
    """One section's collector; a collector bug becomes an error, never a crash."""
    from auditor.types import CollectionError
    from channels import CollectContext, channel_kinds

    kind = channel_kinds()[section.kind]
    try:
        yield from kind.collect(section.options, CollectContext(
            base_dir=config.base_dir, limits=config.limits, progress=progress,
            allow_private_addresses=config.allow_private_addresses))
    except Exception as exc:  # a collector bug must not lose what others collected
        yield CollectionError(
            source=f"channels.{section.kind}[{section.index}]",
            error=f"collector failed: {type(exc).__name__}: {exc}", channel=section.kind)


def _starting(section: ChannelSection, n: int, config: AuditConfig,
              progress: Progress | None) -> None:
    if progress is not None:
        progress(f"collecting {section.kind}", n, len(config.channels))


class LocalExecutor:
    """Everything in this process, one section after another."""

    name = "local"
    batch_size = None  # the engine's own bound (``auditor.engine.EMBED_BATCH``)

    def collect_sections(self, config: AuditConfig, progress: Progress | None = None
                         ) -> Iterator[tuple[ChannelSection, Touchpoint | CollectionError]]:
        for n, section in enumerate(config.channels):
            _starting(section, n, config, progress)
            for item in collect_section(section, config, progress):
                yield section, item

    def encode(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        return embedder.encode(texts)

    def close(self) -> None:
        pass


def runs_anywhere(section: ChannelSection) -> bool:
    """Whether a section only reads local files (so a Ray worker on this machine can)."""
    if section.kind in FILE_KINDS:
        return True
    if section.kind == "social":
        url = getattr(section.options, "url", None)
        return not url and bool(getattr(section.options, "path", None))
    return False


def _collect_remote(section, config) -> list:
    # Runs in a Ray worker: the whole section at once (touchpoints are small, frozen values).
    return list(collect_section(section, config))


class _EmbedActor:
    """A Ray actor holding one loaded model; called with batches of texts."""

    def __init__(self, spec) -> None:
        from auditor.embedding import make_embedder

        self.embedder = make_embedder(spec) if isinstance(spec, str) else spec

    def __call__(self, batch: dict) -> dict:
        import numpy as np

        vectors = self.embedder.encode([str(t) for t in batch["text"]])
        return {"row": batch["row"], "vector": np.asarray(vectors, dtype=np.float32)}


@dataclass
class _RemoteEmbedder:
    """Looks like an embedder; encodes on the Ray executor's actor pool."""

    executor: RayExecutor
    spec: object
    model_id: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.executor.encode_remote(self.spec, self.dim, list(texts))


class RayExecutor:
    """Collection of file-based sections and embedding on a Ray cluster.

    ``address`` names an existing cluster (``ray://head:10001`` or ``auto``); without it a
    local Ray instance with ``num_cpus`` CPUs is started for the run and stopped by
    ``close()``. ``actors`` is the size of the embedding actor pool (default: one per CPU
    of the cluster, at most 8).
    """

    name = "ray"
    batch_size = RAY_CHUNK

    def __init__(self, address: str | None = None, num_cpus: int | None = None,
                 actors: int | None = None) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ToolError("the Ray executor needs Ray, which is not installed",
                            source="--executor ray",
                            hint="pip install 'brand-auditor[ray]', or use --executor local"
                            ) from exc
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            try:
                if address:
                    ray.init(address=address, log_to_driver=False, logging_level="ERROR")
                else:
                    ray.init(num_cpus=num_cpus or 2, include_dashboard=False,
                             log_to_driver=False, logging_level="ERROR")
            except Exception as exc:  # ConnectionError, RuntimeError, ValueError from Ray
                raise ToolError(f"cannot start or reach the Ray cluster: {exc}",
                                source=address or "local Ray instance",
                                hint="check --ray-address (e.g. ray://head:10001 or auto) "
                                     "and that the cluster runs the same Python and "
                                     "brand-auditor version") from exc
            self._started = True
        try:
            from ray.data import DataContext

            context = DataContext.get_current()
            context.enable_progress_bars = False
            context.print_on_execution_start = False
        except Exception:  # older Ray: progress bars are cosmetic
            pass
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.actors = actors or max(1, min(cpus, 8))

    def collect_sections(self, config: AuditConfig, progress: Progress | None = None
                         ) -> Iterator[tuple[ChannelSection, Touchpoint | CollectionError]]:
        ray = self._ray
        remote = ray.remote(_collect_remote)
        futures = {n: remote.remote(section, config)
                   for n, section in enumerate(config.channels) if runs_anywhere(section)}
        # Network sections run here while the file sections run on the cluster; results are
        # yielded in config order either way, so the run is the same as a local one.
        for n, section in enumerate(config.channels):
            _starting(section, n, config, progress)
            if n in futures:
                for item in ray.get(futures[n]):
                    yield section, item
            else:
                for item in collect_section(section, config, progress):
                    yield section, item

    def encode(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        """Cache look-ups here; only the misses go to the cluster, and come back to the cache."""
        from auditor.embedding import CachedEmbedder

        if isinstance(embedder, CachedEmbedder):
            inner = embedder.embedder
            remote = _RemoteEmbedder(self, _spec_of(inner), inner.model_id, embedder.dim)
            cached = CachedEmbedder(remote, embedder.cache, batch_size=RAY_CHUNK)
            out = cached.encode(texts)
            embedder.hits += cached.hits
            embedder.misses += cached.misses
            return out
        return self.encode_remote(_spec_of(embedder), embedder.dim, list(texts))

    def encode_remote(self, spec: object, dim: int, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` with Ray Data ``map_batches`` on an actor pool holding the model."""
        import numpy as np
        import ray.data
        from ray.data import ActorPoolStrategy

        out = np.zeros((len(texts), dim), dtype=np.float32)
        if not texts:
            return out
        dataset = ray.data.from_items([{"row": i, "text": t} for i, t in enumerate(texts)])
        vectors = dataset.map_batches(
            _EmbedActor, fn_constructor_args=(spec,), batch_size=RAY_BATCH,
            batch_format="numpy", num_cpus=1,
            compute=ActorPoolStrategy(size=min(self.actors, -(-len(texts) // RAY_BATCH))))
        for batch in vectors.iter_batches(batch_format="numpy", batch_size=RAY_BATCH):
            out[np.asarray(batch["row"], dtype=np.int64)] = np.stack(batch["vector"])
        return out

    def close(self) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
        self._started = False


def _spec_of(embedder) -> object:
    """What a Ray actor needs to build the same model: the spec of a lazily loaded built-in
    or sentence-transformers model, else the embedder itself (it is pickled to the actor)."""
    spec = getattr(embedder, "spec", None)
    return spec if isinstance(spec, str) else embedder


def make_executor(name: str = "local", *, address: str | None = None,
                  num_cpus: int | None = None) -> Executor:
    """The executor called ``name`` (``local`` or ``ray``)."""
    if name == "local":
        if address:
            raise ToolError("--ray-address needs --executor ray", source="--ray-address",
                            hint="add --executor ray, or drop --ray-address")
        return LocalExecutor()
    if name == "ray":
        return RayExecutor(address=address, num_cpus=num_cpus)
    raise ToolError(f"unknown executor {name!r}", source="--executor",
                    hint=f"choose one of: {', '.join(EXECUTORS)}")

