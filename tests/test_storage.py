"""Atomic writes keep links and reject destinations that are not regular files."""

import errno
import os
import re
import stat
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from fake_os import deny_write, fake_file_type

from embedsent.storage import (
    _NOT_VECTORS_SUFFIXES,
    _OTHER_KIND_SUFFIXES,
    check_bundle_suffix,
    check_destination,
    check_file_name,
    check_vectors_suffix,
    file_identity,
    first_dangling_link,
    first_unwritable_folder,
    load_bundle,
    save_bundle,
    write_atomic,
    write_text_atomic,
)
from embedsent.temporary_files import remove_stale_temporaries


def test_write_atomic_creates_file(tmp_path):
    path = tmp_path / "out.txt"
    write_text_atomic(path, "new")
    assert path.read_text(encoding="utf-8") == "new"
    assert [entry.name for entry in tmp_path.iterdir()] == ["out.txt"]


def test_save_deletes_stale_temporary_files(tmp_path, caplog):
    fcntl = pytest.importorskip("fcntl")
    target = tmp_path / "ck.npz"
    stale = tmp_path / ".ck.npz.embedsent-jjz8este.tmp"
    stale.write_bytes(b"left by a killed save")
    # Names of another pattern or another target stay.
    other_names = [
        ".ck.npz.backup.tmp",
        ".ck.npz.embedsent-backup.tmp",
        ".other.npz.embedsent-abcdefgh.tmp",
        "ck.npz.embedsent-abcdefgh.tmp",
    ]
    for name in other_names:
        (tmp_path / name).write_bytes(b"keep")
    # A temporary file whose lock a live save holds stays too.
    live = tmp_path / ".ck.npz.embedsent-live_123.tmp"
    live.write_bytes(b"being written")
    with open(live, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with caplog.at_level("INFO", logger="embedsent.temporary_files"):
            write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert not stale.exists()
    assert live.exists()
    for name in other_names:
        assert (tmp_path / name).exists(), name
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        f"deleted .ck.npz.embedsent-jjz8este.tmp in {tmp_path}, left by an "
        "interrupted save of ck.npz"
    ]


def test_save_keeps_user_file_of_old_temporary_form(tmp_path):
    pytest.importorskip("fcntl")
    target = tmp_path / "ck.npz"
    # Names without the embedsent- marker belong to the user or another
    # program, even when they look like temporary files of a save.
    user_file = tmp_path / ".ck.npz.abcdefgh.tmp"
    user_file.write_bytes(b"the user's own file")
    stale = tmp_path / ".ck.npz.embedsent-abcdefgh.tmp"
    stale.write_bytes(b"left by a killed save")
    write_text_atomic(target, "new")
    assert user_file.read_bytes() == b"the user's own file"
    assert not stale.exists()


def test_save_keeps_own_temporary_file(tmp_path):
    pytest.importorskip("fcntl")
    target = tmp_path / "report.json"
    seen = []

    def write(stream):
        # The cleanup of a second save to the same target runs during this one.
        seen.extend(remove_stale_temporaries(target))
        seen.extend(path.name for path in tmp_path.iterdir())
        stream.write(b"{}")

    write_atomic(target, write)
    assert len(seen) == 1
    assert seen[0].startswith(".report.json.embedsent-")
    assert seen[0].endswith(".tmp")
    assert target.read_bytes() == b"{}"


def test_write_atomic_keeps_read_only_file(tmp_path):
    target = tmp_path / "model.npz"
    target.write_bytes(b"kept")
    target.chmod(0o444)
    with pytest.raises(PermissionError) as raised:
        write_atomic(target, lambda stream: stream.write(b"new"))
    assert f"cannot write {target}: it is read-only (-r--r--r--)" in str(raised.value)
    assert f"chmod u+w {target}" in str(raised.value)
    assert target.read_bytes() == b"kept"
    assert sorted(tmp_path.iterdir()) == [target]


def test_write_atomic_replaces_read_only_file_it_wrote(tmp_path):
    target = tmp_path / "run.ckpt"
    previous = os.umask(0o222)
    try:
        written = write_atomic(target, lambda stream: stream.write(b"first"))
        assert stat.S_IMODE(target.stat().st_mode) == 0o444
        again = write_atomic(
            target, lambda stream: stream.write(b"second"), replaces=written
        )
    finally:
        os.umask(previous)
    assert target.read_bytes() == b"second"
    assert again == file_identity(target) != written
    assert stat.S_IMODE(target.stat().st_mode) == 0o444


def test_write_atomic_keeps_swapped_read_only_file(tmp_path):
    target = tmp_path / "run.ckpt"
    written = write_atomic(target, lambda stream: stream.write(b"ours"))
    swapped = tmp_path / "theirs"
    swapped.write_bytes(b"theirs")
    swapped.chmod(0o444)
    os.replace(swapped, target)
    with pytest.raises(PermissionError, match="it is read-only"):
        write_atomic(target, lambda stream: stream.write(b"new"), replaces=written)
    assert target.read_bytes() == b"theirs"


@pytest.mark.parametrize("kind", ["read-only", "missing folder", "folder"])
def test_check_destination_matches_write_atomic_errors(tmp_path, kind):
    target = tmp_path / "out.npz"
    if kind == "read-only":
        target.write_bytes(b"kept")
        target.chmod(0o444)
    elif kind == "missing folder":
        target = tmp_path / "missing" / "out.npz"
    else:
        target.mkdir()
    with pytest.raises((OSError, ValueError)) as checked:
        check_destination(target)
    with pytest.raises(type(checked.value)) as written:
        write_atomic(target, lambda stream: stream.write(b"new"))
    assert str(checked.value) == str(written.value)
    if kind == "read-only":
        assert target.read_bytes() == b"kept"


def test_check_destination_returns_link_target_and_name(tmp_path):
    target = tmp_path / "target.npz"
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    assert check_destination(link) == (target, f"{link} (a link to {target})")


def test_write_atomic_replaces_owner_writable_file(tmp_path):
    target = tmp_path / "model.npz"
    target.write_bytes(b"old")
    target.chmod(0o644)
    write_atomic(target, lambda stream: stream.write(b"new"))
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_write_atomic_follows_link(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    write_text_atomic(link, "new")
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8") == "new"


def test_write_atomic_relative_link_writes_target(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    target = folder / "target.txt"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(Path("data") / "target.txt")
    write_text_atomic(link, "new")
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == "new"
    # The temporary file is created next to the target, not next to the link.
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["data", "link.txt"]


def test_write_atomic_dangling_link_creates_target(tmp_path):
    target = tmp_path / "target.txt"
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    write_text_atomic(link, "new")
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == "new"


def test_write_atomic_link_missing_folder(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "absent" / "target.txt")
    with pytest.raises(FileNotFoundError, match="a link to .*folder .*absent"):
        write_text_atomic(link, "new")
    assert link.is_symlink()


def test_save_bundle_through_link_keeps_link(tmp_path):
    target = tmp_path / "model.npz"
    save_bundle(target, {"format": "old"}, {"x": np.zeros(2)})
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    save_bundle(link, {"format": "new"}, {"x": np.ones(2)})
    assert link.is_symlink()
    meta, arrays = load_bundle(target)
    assert meta == {"format": "new"}
    np.testing.assert_array_equal(arrays["x"], np.ones(2))


def test_write_atomic_rejects_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="is a FIFO .*not a regular file"):
        write_text_atomic(fifo, "new")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert [entry.name for entry in tmp_path.iterdir()] == ["pipe"]


def test_write_atomic_rejects_link_to_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(fifo)
    with pytest.raises(ValueError, match=r"link \(a link to .*pipe\): it is a FIFO"):
        write_text_atomic(link, "new")
    assert link.is_symlink()
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_write_atomic_rejects_character_device(tmp_path, monkeypatch):
    # A real device node would need mknod, so os.stat reports a regular file
    # in tmp_path as a character device, as it would report /dev/null.
    device = tmp_path / "null"
    device.write_bytes(b"")
    fake_file_type(monkeypatch, device)
    with pytest.raises(ValueError, match="is a character device, not a regular"):
        write_text_atomic(device, "new")
    monkeypatch.undo()
    assert device.read_bytes() == b""


def test_write_atomic_rejects_folder(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(ValueError, match="it is a folder, not a regular file"):
        write_text_atomic(folder, "new")
    assert folder.is_dir()


def test_write_atomic_rejects_link_loop(tmp_path):
    first = tmp_path / "first"
    second = tmp_path / "second"
    first.symlink_to(second)
    second.symlink_to(first)
    with pytest.raises(ValueError, match="is a loop of symbolic links"):
        write_text_atomic(first, "new")
    assert first.is_symlink()
    assert second.is_symlink()


def test_write_atomic_rejects_empty_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="empty path; pass a file path"):
        write_atomic("", lambda stream: stream.write(b"new"))
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_missing_folder_names_folder(tmp_path):
    path = tmp_path / "absent" / "out.txt"
    with pytest.raises(FileNotFoundError, match="folder .*absent does not exist"):
        write_text_atomic(path, "new")


def test_write_atomic_failure_keeps_old_content(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old", encoding="utf-8")

    def fail(stream):
        stream.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(path, fail)
    assert path.read_text(encoding="utf-8") == "old"
    assert [entry.name for entry in tmp_path.iterdir()] == ["out.txt"]


def test_write_atomic_temporary_failure_names_destination(tmp_path, monkeypatch):
    def too_long(*args, **kwargs):
        raise OSError(
            errno.ENAMETOOLONG,
            "File name too long",
            str(tmp_path / ".out.txt.embedsent-abcdefgh.tmp"),
        )

    monkeypatch.setattr(tempfile, "mkstemp", too_long)
    path = tmp_path / "out.txt"
    with pytest.raises(OSError) as raised:
        write_text_atomic(path, "new")
    message = str(raised.value)
    assert message.startswith(
        f"cannot write {path}: creating a temporary file in {tmp_path} failed: "
    )
    assert raised.value.errno == errno.ENAMETOOLONG
    assert ".tmp" not in message
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_temporary_failure_keeps_class(tmp_path, monkeypatch):
    def deny(*args, **kwargs):
        raise PermissionError(
            errno.EACCES, "Permission denied", str(tmp_path / ".out.txt.abc.tmp")
        )

    monkeypatch.setattr(tempfile, "mkstemp", deny)
    path = tmp_path / "out.txt"
    with pytest.raises(PermissionError) as raised:
        write_text_atomic(path, "new")
    assert str(raised.value) == (
        f"cannot write {path}: creating a temporary file in {tmp_path} failed: "
        "[Errno 13] Permission denied"
    )
    assert raised.value.errno == errno.EACCES


def test_write_atomic_rename_failure_names_destination(tmp_path, monkeypatch):
    def fail(source, destination):
        raise OSError(errno.EXDEV, "Invalid cross-device link", source, destination)

    monkeypatch.setattr(os, "replace", fail)
    path = tmp_path / "out.txt"
    with pytest.raises(OSError) as raised:
        write_text_atomic(path, "new")
    message = str(raised.value)
    assert message.startswith(f"cannot write {path}: renaming a temporary file in ")
    assert message.endswith("failed: [Errno 18] Invalid cross-device link")
    assert ".tmp" not in message
    assert list(tmp_path.iterdir()) == []


def test_first_dangling_link_finds_link_or_parent(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "missing")
    assert first_dangling_link(link) == link
    assert first_dangling_link(link / "below") == link


def test_first_dangling_link_ignores_live_link(tmp_path):
    (tmp_path / "folder").mkdir()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "folder")
    assert first_dangling_link(link / "below") is None


def test_first_unwritable_folder_checks_closest_existing(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    deny_write(monkeypatch, locked)
    assert first_unwritable_folder(locked) == locked
    assert first_unwritable_folder(locked / "missing" / "deeper") == locked


def test_first_unwritable_folder_ignores_writable_folder(tmp_path, monkeypatch):
    (tmp_path / "open").mkdir()
    deny_write(monkeypatch, tmp_path / "locked")
    assert first_unwritable_folder(tmp_path / "open") is None
    assert first_unwritable_folder(tmp_path / "open" / "missing") is None


def test_first_unwritable_folder_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("locked").mkdir()
    deny_write(monkeypatch, Path("locked"))
    assert first_unwritable_folder("locked/sub") == Path("locked")


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root writes to folders whose permission bits deny writing",
)
def test_first_unwritable_folder_reads_permission_bits(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert first_unwritable_folder(locked / "sub") == locked
    finally:
        locked.chmod(0o755)


def test_write_atomic_keeps_replaced_mode(tmp_path):
    path = tmp_path / "model.npz"
    save_bundle(path, {"format": "old"}, {"x": np.zeros(2)})
    path.chmod(0o600)
    save_bundle(path, {"format": "new"}, {"x": np.ones(2)})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_bundle(path)[0] == {"format": "new"}


def test_write_atomic_keeps_target_mode(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    write_text_atomic(link, "new")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640


def test_write_atomic_new_file_follows_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        write_text_atomic(tmp_path / "out.txt", "new")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "out.txt").st_mode) == 0o640


@pytest.mark.parametrize("suffix", ["/", "//"])
def test_write_atomic_rejects_trailing_separator(tmp_path, suffix):
    path = f"{tmp_path / 'new.npz'}{suffix}"
    with pytest.raises(ValueError, match="drop the trailing '/' to write the file"):
        save_bundle(path, {"format": "new"}, {"x": np.ones(2)})
    assert list(tmp_path.iterdir()) == []


# The suggested path at the end of a message from check_file_name,
# check_bundle_suffix or check_vectors_suffix.
_SUGGESTED_PATH = re.compile(r"(?:the file|Save (?:it|them) as) (\S+?)(?: instead\.)?$")


@pytest.mark.parametrize(
    "suffix", sorted({*_OTHER_KIND_SUFFIXES, *_NOT_VECTORS_SUFFIXES, ".npz"})
)
@pytest.mark.parametrize("separators", ["/", "//"])
def test_trailing_separator_suggestion_passes_checks(tmp_path, suffix, separators):
    raw = f"{tmp_path / ('model' + suffix.upper())}{separators}"
    suffix_checks = {
        "bundle": check_bundle_suffix,
        "text vectors": check_vectors_suffix,
        "binary vectors": partial(check_vectors_suffix, binary=True),
    }
    for kind, check_suffix in suffix_checks.items():
        with pytest.raises(ValueError) as raised:
            check_file_name(raw, check_suffix)
        message = str(raised.value)
        assert "the trailing '/'" in message, kind
        found = _SUGGESTED_PATH.search(message)
        assert found is not None, f"{kind}: no suggested path in {message!r}"
        suggested = found.group(1)
        assert suggested.startswith(str(tmp_path)), kind
        # The suggested path passes both checks.
        check_file_name(suggested, check_suffix)
        check_suffix(suggested)


def test_suffix_check_names_trailing_separator(tmp_path):
    raw = f"{tmp_path / 'model.txt'}/"
    with pytest.raises(ValueError) as raised:
        check_bundle_suffix(raw, "an embedsent classifier model")
    message = str(raised.value)
    assert message.startswith(
        f"path {raw}: the trailing '/' marks a folder, and the suffix .txt marks "
        "a text file, but "
    )
    assert message.endswith(f"Save it as {tmp_path / 'model.npz'} instead.")


def test_write_atomic_rejects_trailing_dot(tmp_path):
    with pytest.raises(ValueError, match=r"ends with '\.' names a folder"):
        write_text_atomic(f"{tmp_path / 'new'}/.", "new")
    assert list(tmp_path.iterdir()) == []


def test_load_bundle_rejects_empty_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        ValueError, match="the embedsent model path is empty; pass the embedsent"
    ):
        load_bundle("", kind="embedsent model")


def test_load_bundle_rejects_folder(tmp_path):
    with pytest.raises(ValueError, match="is a folder, not the embedsent model file"):
        load_bundle(tmp_path, kind="embedsent model")


@pytest.mark.parametrize(
    ("name", "suffix", "kind", "suggested"),
    [
        ("model.txt", ".txt", "a text file", "model.npz"),
        ("model.TSV", ".TSV", "a table", "model.npz"),
        ("model.tar.gz", ".tar.gz", "a compressed tar archive", "model.npz"),
        ("model.csv.gz", ".csv.gz", "a gzip-compressed file", "model.npz"),
        ("model.npz.txt", ".txt", "a text file", "model.npz"),
        (
            "model.v2.bin",
            ".bin",
            "word vectors in word2vec binary format",
            "model.v2.npz",
        ),
        ("model.npy", ".npy", "a NumPy array file", "model.npz"),
        ("model.pkl", ".pkl", "a Python pickle", "model.npz"),
        ("model.png", ".png", "a PNG image", "model.npz"),
    ],
)
def test_check_bundle_suffix_rejects_other_kind(
    tmp_path, name, suffix, kind, suggested
):
    path = tmp_path / name
    with pytest.raises(ValueError) as raised:
        check_bundle_suffix(path, "an embedsent classifier model")
    message = str(raised.value)
    assert message.startswith(f"path {path}: the suffix {suffix} marks {kind}, ")
    assert "but an embedsent classifier model is a zip (.npz) file." in message
    assert message.endswith(f"Save it as {tmp_path / suggested} instead.")


@pytest.mark.parametrize("name", ["model.npz", "MODEL.NPZ", "model", "run.ckpt"])
def test_check_bundle_suffix_accepts_bundle_names(tmp_path, name):
    check_bundle_suffix(tmp_path / name)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd")
def test_write_atomic_keeps_file_behind_descriptor(tmp_path):
    # /dev/stdout resolves to the file that a shell's `>` opened, which a
    # rename would replace.
    behind = tmp_path / "o2"
    with open(behind, "w", encoding="utf-8") as handle:
        handle.write("report text\n")
        handle.flush()
        link = tmp_path / "out.json"
        link.symlink_to(f"/proc/self/fd/{handle.fileno()}")
        for path in (f"/dev/fd/{handle.fileno()}", "/dev/stdout", link):
            with pytest.raises(ValueError, match="pass a file path"):
                write_text_atomic(path, "{}")
        with pytest.raises(ValueError, match="a link to /proc/self/fd/"):
            write_text_atomic(link, "{}")
    assert behind.read_text(encoding="utf-8") == "report text\n"


@pytest.mark.parametrize("name", ["x" * 240 + ".txt", "é" * 125 + ".txt"])
def test_save_to_long_legal_name(tmp_path, name):
    # The temporary name adds about 25 bytes, which must not push a legal
    # name over the 255-byte limit of most file systems.
    target = tmp_path / name
    write_text_atomic(target, "first")
    write_text_atomic(target, "second")
    assert target.read_text() == "second"
    assert [path.name for path in tmp_path.iterdir()] == [name]


@pytest.mark.parametrize("name", [".txt", ".NPZ", ".json", ".csv", ".bin"])
def test_name_that_is_only_a_suffix_rejected(tmp_path, name):
    raw = str(tmp_path / name)
    with pytest.raises(ValueError) as raised:
        check_file_name(raw)
    message = str(raised.value)
    assert f"the name {name} is only a suffix" in message
    assert f"such as {tmp_path}/out{name}" in message


def test_hidden_name_with_stem_accepted(tmp_path):
    check_file_name(str(tmp_path / ".cache.txt"))
    check_file_name(str(tmp_path / ".hidden"))
