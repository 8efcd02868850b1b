"""``autograder/mnist.py``: where MNIST comes from, and serving it to ``load_data()``.

Contract (DESIGN.md): ``--mnist PATH``, then ``MNIST_NPZ``, then the Keras cache, then a
Keras download; grading needs no network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from autograder import mnist


def write_fake(path: Path, marker: int, n_train: int = 3, n_test: int = 2) -> Path:
    """A tiny ``.npz`` in Keras layout whose pixels are all ``marker`` (to tell files apart)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        x_train=np.full((n_train, 28, 28), marker, dtype=np.uint8),
        y_train=np.arange(n_train, dtype=np.uint8) % 10,
        x_test=np.full((n_test, 28, 28), marker + 1, dtype=np.uint8),
        y_test=(np.arange(n_test, dtype=np.uint8) + 5) % 10,
    )
    return path


@pytest.fixture
def env(tmp_path, monkeypatch):
    """No MNIST_NPZ, an empty KERAS_HOME; and a guard so no test reaches the network."""
    keras_home = tmp_path / "keras_home"
    keras_home.mkdir()
    monkeypatch.delenv(mnist.ENV_VAR, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(keras_home))

    import keras.src.utils.file_utils as file_utils

    calls = []

    def no_network(*args, **kwargs):
        calls.append(kwargs)
        raise OSError("network disabled in tests")

    monkeypatch.setattr(file_utils, "get_file", no_network)
    return {"tmp": tmp_path, "keras_home": keras_home, "get_file_calls": calls,
            "cache": keras_home / "datasets" / "mnist.npz"}


def markers(path=None):
    (x_train, _), (x_test, _) = mnist.load(path)
    return int(x_train[0, 0, 0]), int(x_test[0, 0, 0])


# --------------------------------------------------------------------- resolution order


def test_keras_cache_path_follows_keras_home(env):
    assert mnist.keras_cache_path() == env["cache"]


def test_keras_cache_path_defaults_to_home(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert mnist.keras_cache_path() == tmp_path / ".keras" / "datasets" / "mnist.npz"


def test_cli_path_beats_env_and_cache(env, monkeypatch):
    cli = write_fake(env["tmp"] / "cli" / "m.npz", 10)
    envfile = write_fake(env["tmp"] / "env" / "m.npz", 20)
    write_fake(env["cache"], 30)
    monkeypatch.setenv(mnist.ENV_VAR, str(envfile))
    assert mnist.resolve(cli) == cli.resolve()
    assert mnist.resolve(str(cli)) == cli.resolve()
    assert markers(cli) == (10, 11)
    assert env["get_file_calls"] == []


def test_env_beats_cache(env, monkeypatch):
    envfile = write_fake(env["tmp"] / "env" / "m.npz", 20)
    write_fake(env["cache"], 30)
    monkeypatch.setenv(mnist.ENV_VAR, str(envfile))
    assert mnist.resolve() == envfile.resolve()
    assert markers() == (20, 21)
    assert env["get_file_calls"] == []


def test_empty_env_var_is_ignored(env, monkeypatch):
    write_fake(env["cache"], 30)
    monkeypatch.setenv(mnist.ENV_VAR, "")
    assert mnist.resolve() == env["cache"]


def test_cache_used_when_nothing_else(env):
    write_fake(env["cache"], 30)
    assert mnist.resolve() == env["cache"]
    assert mnist.resolve(download=False) == env["cache"]
    assert markers() == (30, 31)
    assert env["get_file_calls"] == []


def test_load_returns_keras_layout(env, monkeypatch):
    envfile = write_fake(env["tmp"] / "m.npz", 7, n_train=4, n_test=3)
    monkeypatch.setenv(mnist.ENV_VAR, str(envfile))
    (x_train, y_train), (x_test, y_test) = mnist.load()
    assert x_train.shape == (4, 28, 28) and y_train.shape == (4,)
    assert x_test.shape == (3, 28, 28) and y_test.shape == (3,)
    assert y_train.tolist() == [0, 1, 2, 3]
    assert y_test.tolist() == [5, 6, 7]


# ------------------------------------------------------------------------ missing files


def test_missing_cli_path_names_the_source(env, monkeypatch):
    # Even with MNIST_NPZ and the cache available, a wrong --mnist is an error, not a fallback.
    monkeypatch.setenv(mnist.ENV_VAR, str(write_fake(env["tmp"] / "env.npz", 20)))
    write_fake(env["cache"], 30)
    missing = env["tmp"] / "nope" / "mnist.npz"
    with pytest.raises(mnist.MnistUnavailable) as info:
        mnist.resolve(missing)
    assert "--mnist" in str(info.value)
    assert str(missing) in str(info.value)


def test_missing_env_path_names_the_source(env, monkeypatch):
    write_fake(env["cache"], 30)
    missing = env["tmp"] / "nowhere.npz"
    monkeypatch.setenv(mnist.ENV_VAR, str(missing))
    with pytest.raises(mnist.MnistUnavailable) as info:
        mnist.resolve()
    assert mnist.ENV_VAR in str(info.value)
    assert str(missing) in str(info.value)
    assert "--mnist" not in str(info.value)


def test_directory_is_not_a_file(env):
    with pytest.raises(mnist.MnistUnavailable, match="--mnist"):
        mnist.resolve(env["tmp"])


def test_mnist_unavailable_is_a_runtime_error():
    assert issubclass(mnist.MnistUnavailable, RuntimeError)


def test_offline_without_download_mentions_env_var(env):
    with pytest.raises(mnist.MnistUnavailable) as info:
        mnist.resolve(download=False)
    assert "MNIST_NPZ" in str(info.value)
    assert env["get_file_calls"] == [], "download=False must not try to download"


def test_failed_download_mentions_env_var(env):
    with pytest.raises(mnist.MnistUnavailable) as info:
        mnist.resolve(download=True)
    message = str(info.value)
    assert "MNIST_NPZ" in message
    assert "network disabled in tests" in message
    assert isinstance(info.value.__cause__, OSError)
    assert len(env["get_file_calls"]) == 1


def test_load_with_failed_download_raises_mnist_unavailable(env):
    with pytest.raises(mnist.MnistUnavailable, match="MNIST_NPZ"):
        mnist.load()


def test_download_goes_through_keras_get_file(env, monkeypatch):
    import keras.src.utils.file_utils as file_utils

    downloaded = write_fake(env["tmp"] / "downloaded" / "mnist.npz", 40)
    seen = []

    def fake_get_file(*args, **kwargs):
        seen.append(kwargs)
        return str(downloaded)

    monkeypatch.setattr(file_utils, "get_file", fake_get_file)
    assert mnist.resolve() == downloaded
    assert seen[0]["fname"] == "mnist.npz"
    assert seen[0]["origin"].endswith("/mnist.npz")
    assert seen[0]["file_hash"].startswith("731c5ac6")
    assert markers() == (40, 41)


def test_npz_without_keras_keys_is_rejected(env, monkeypatch):
    bad = env["tmp"] / "bad.npz"
    np.savez(bad, images=np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(mnist.MnistUnavailable, match="x_train"):
        mnist.load(bad)


# ------------------------------------------------------------------- the shared file


@pytest.mark.skipif(not os.environ.get("MNIST_NPZ"), reason="MNIST_NPZ is not set")
def test_shared_file_documented_facts():
    (x_train, y_train), (x_test, y_test) = mnist.load()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_test.shape == (10000,) and y_test.dtype == np.uint8
    assert y_train[:3].tolist() == [5, 0, 4]
    assert y_train[-3:].tolist() == [5, 6, 8]
    assert y_test[:3].tolist() == [7, 2, 1]
    assert y_test[-3:].tolist() == [4, 5, 6]
    assert np.bincount(y_test, minlength=10).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# ------------------------------------------------------------ patching keras's loader


def test_keras_patch_source_is_self_contained(tmp_path):
    source = mnist.keras_patch_source(tmp_path / "m.npz")
    assert "autograder" not in source
    compile(source, "<patch>", "exec")
    assert str((tmp_path / "m.npz").resolve()) in source


def test_keras_patch_source_serves_load_data(tmp_path):
    # A directory name with a space and a quote checks that the path is quoted safely.
    fake = write_fake(tmp_path / "odd dir's" / "fake.npz", 60, n_train=3, n_test=2)
    keras_home = tmp_path / "empty_keras_home"
    keras_home.mkdir()
    script = mnist.keras_patch_source(fake) + textwrap.dedent("""
        import json
        import keras
        import tensorflow as tf

        out = {}
        for name, loader in [("tf.keras", tf.keras.datasets.mnist.load_data),
                             ("keras", keras.datasets.mnist.load_data)]:
            (x_train, y_train), (x_test, y_test) = loader()
            out[name] = {
                "x_train": [list(x_train.shape), int(x_train[0, 0, 0]), str(x_train.dtype)],
                "y_train": y_train.tolist(),
                "x_test": [list(x_test.shape), int(x_test[0, 0, 0])],
                "y_test": y_test.tolist(),
            }
        print("RESULT " + json.dumps(out))
    """)
    run_env = {k: v for k, v in os.environ.items() if k not in ("MNIST_NPZ", "PYTHONPATH")}
    run_env.update(KERAS_HOME=str(keras_home), TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=run_env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    want = {"x_train": [[3, 28, 28], 60, "uint8"], "y_train": [0, 1, 2],
            "x_test": [[2, 28, 28], 61], "y_test": [5, 6]}
    assert result["tf.keras"] == want
    assert result["keras"] == want
    assert not (keras_home / "datasets" / "mnist.npz").exists()


def test_keras_patch_is_not_leaked_into_this_process():
    import keras.src.datasets.mnist as keras_mnist
    import keras.src.utils.file_utils as file_utils

    assert keras_mnist.get_file is file_utils.get_file
