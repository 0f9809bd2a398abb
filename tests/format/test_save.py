"""Saving to disk: a new file gets the permissions any new file would get under the umask, a
replaced file keeps its own, and the data is flushed to disk before the file takes the name."""
import os
import stat

import pytest

import litequant
from litequant.interpreter import files


@pytest.fixture(params=[0o022, 0o027], ids=oct)
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_saved_model_has_the_mode_of_a_new_file(data_dir, tmp_path, umask):
    path = tmp_path / "model.tflite"
    litequant.save_model(litequant.load_model(data_dir / "breast_mlp_float.tflite"), path)
    assert mode(path) == 0o666 & ~umask


def test_saved_outputs_have_the_mode_of_a_new_file(tmp_path, umask):
    path = tmp_path / "out.npz"
    files.save_outputs(path, {})
    assert mode(path) == 0o666 & ~umask
    assert os.umask(umask) == umask      # the umask read along the way was set back


@pytest.mark.parametrize("existing", [0o600, 0o640, 0o664], ids=oct)
def test_replaced_file_keeps_its_mode(tmp_path, umask, existing):
    path = tmp_path / "out.npz"
    path.write_bytes(b"old")
    os.chmod(path, existing)
    files.save_outputs(path, {})
    assert mode(path) == existing and path.read_bytes() != b"old"


def test_data_is_on_disk_before_the_rename(tmp_path, monkeypatch):
    calls = []
    fsync, replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync") or fsync(fd))
    monkeypatch.setattr(os, "replace", lambda *a: calls.append("replace") or replace(*a))
    files.save_outputs(tmp_path / "out.npz", {})
    assert calls == ["fsync", "replace"]
