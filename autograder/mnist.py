"""Where MNIST comes from: ``--mnist PATH``, then ``MNIST_NPZ``, then the Keras cache, then a
Keras download. One loader, used by the build, the grader and the kernels it starts."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from .datasets import Dataset
from .kernel_side import mnist_file

ENV_VAR = "MNIST_NPZ"
KEYS = mnist_file.KEYS
DOWNLOAD_TIMEOUT = 60  # seconds without data before a download gives up


class MnistUnavailable(RuntimeError):
    pass


def keras_cache_path() -> Path:
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return keras_home / "datasets" / "mnist.npz"


def resolve(path: str | os.PathLike | None = None, download: bool = True) -> Path:
    """The path of an MNIST ``.npz`` in Keras layout, trying the sources in contract order."""
    if path:
        return _checked(Path(path), "--mnist")
    if os.environ.get(ENV_VAR):
        return _checked(Path(os.environ[ENV_VAR]), ENV_VAR)
    cached = keras_cache_path()
    if cached.is_file():
        return cached
    if download:
        import socket

        previous_timeout = socket.getdefaulttimeout()
        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)  # a blocked network fails, it does not hang
        try:
            from keras.src.utils.file_utils import get_file

            return Path(get_file(
                fname="mnist.npz",
                origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
                file_hash="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
            ))
        except Exception as error:  # no network, blocked host, bad hash...
            raise MnistUnavailable(
                f"MNIST could not be found or downloaded ({error}). Point {ENV_VAR} at a "
                f"Keras-layout mnist.npz (e.g. export {ENV_VAR}=../shared/data/mnist.npz) "
                "or pass --mnist PATH."
            ) from error
        finally:
            socket.setdefaulttimeout(previous_timeout)
    raise MnistUnavailable(f"MNIST not found: set {ENV_VAR} or pass --mnist PATH.")


def _checked(path: Path, source: str) -> Path:
    if not path.is_file():
        raise MnistUnavailable(f"MNIST file given by {source} does not exist: {path}")
    return path.resolve()


def load(path: str | os.PathLike | None = None):
    """``(x_train, y_train), (x_test, y_test)`` exactly as ``keras.datasets.mnist.load_data()``."""
    resolved = resolve(path)
    try:
        return mnist_file.read(resolved)
    except ValueError as error:
        raise MnistUnavailable(str(error)) from None


def keras_patch_source(path: str | os.PathLike | None = None) -> str:
    """Python source that makes ``keras.datasets.mnist.load_data()`` read ``path`` (or, with
    no path, the file ``$MNIST_NPZ`` names when the source runs, if it is set).

    It patches the one name every alias of the loader goes through (``get_file`` in Keras's
    mnist module), so ``tensorflow.keras.datasets.mnist`` and ``keras.datasets.mnist`` agree.
    Sent as text so that a kernel never has to import the kit.
    """
    target = repr(str(Path(path).resolve())) if path else f"__import__('os').environ.get({ENV_VAR!r})"
    return (
        f"if {target}:\n"
        "    import keras.src.datasets.mnist as _mnist_loader\n"
        f"    _mnist_loader.get_file = lambda *args, _path={target}, **kwargs: _path\n"
        "    del _mnist_loader\n"
    )


def uncompressed_copy(path: str | os.PathLike, folder: Path) -> Path:
    """The same arrays in an uncompressed ``.npz`` in ``folder`` (made once, named by the
    source's hash): a graded notebook loads MNIST several times, and each load of the
    compressed file spends about a second inflating it."""
    import io
    import zipfile

    import numpy as np

    from .engine import files

    path = Path(path)
    with zipfile.ZipFile(path) as archive:
        if all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist()):
            return path
    copy = folder / f"mnist-{files.digest(path)[:16]}.npz"
    if not copy.is_file():
        (x_train, y_train), (x_test, y_test) = mnist_file.read(path)
        buffer = io.BytesIO()
        np.savez(buffer, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
        files.write_bytes(copy, buffer.getvalue())
    return copy


STAND_IN_SEED = 20260904


def stand_in_labels(count: int):
    """Labels that look like MNIST's (uint8 digits) and say nothing about the images."""
    import numpy as np

    return np.random.default_rng(STAND_IN_SEED).integers(0, 10, count).astype(np.uint8)


def kernel_folder() -> Path:
    """Where kernel copies are kept: a folder of this user's, readable by a kernel that runs as
    another user (its files hold no answers)."""
    import tempfile

    folder = Path(tempfile.gettempdir()) / f"autograder-kernel-data-{os.getuid()}"
    folder.mkdir(mode=0o755, exist_ok=True)
    info = folder.lstat()
    import stat

    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise MnistUnavailable(f"{folder} is not a folder of this user's: remove it")
    os.chmod(folder, 0o755)
    return folder


@lru_cache(maxsize=8)
def _kernel_copy(path: str, size: int, mtime: float, purpose: str) -> Path:
    import io

    import numpy as np

    from .engine import files

    if purpose not in ("notebook", "training"):
        raise ValueError(purpose)
    copy = kernel_folder() / f"mnist-{purpose}-{files.digest(Path(path))[:16]}.npz"
    if not copy.is_file():
        (x_train, y_train), (x_test, y_test) = mnist_file.read(path)
        if purpose == "training":
            x_test = np.zeros_like(x_test)  # the training kernel has no test set at all
        buffer = io.BytesIO()
        np.savez(buffer, x_train=x_train, y_train=y_train, x_test=x_test, y_test=stand_in_labels(len(y_test)))
        files.write_bytes(copy, buffer.getvalue())
        os.chmod(copy, 0o644)
    return copy


def kernel_copy(path: str | os.PathLike, purpose: str) -> Path:
    """The MNIST file a graded kernel reads (``keras.datasets.mnist.load_data()`` and the training
    check alike): the training images and labels as they are, the test labels replaced by
    stand-ins, and for the training check's kernel ("training") the test images blank too. The
    test labels never enter a graded kernel: the grader scores the training from the weights
    (``autograder.training``). Made once per source file, uncompressed (faster to load)."""
    stat = Path(path).stat()
    copy = _kernel_copy(str(Path(path).resolve()), stat.st_size, stat.st_mtime, purpose)
    if not copy.is_file():  # removed since (a cleaned /tmp): made again
        _kernel_copy.cache_clear()
        copy = _kernel_copy(str(Path(path).resolve()), stat.st_size, stat.st_mtime, purpose)
    return copy


MNIST = Dataset("MNIST", "mnist.npz", ENV_VAR, resolve, keras_patch_source, uncompressed_copy, kernel_copy)
