"""The one exception type for problems a user can cause."""

from __future__ import annotations

import errno
import os
import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

__all__ = ["IrstlabelError", "LockBusy", "NotWritable", "DatasetWarning", "display_path", "from_os_error"]


def display_path(path: str | os.PathLike | None) -> str:
    """Return `path` as printable text, even when it holds undecodable bytes.

    File names that are not valid UTF-8 reach Python as surrogate escapes; they
    cannot be printed or written to JSON as they are, so each bad byte is shown
    as U+FFFD instead.
    """
    if path is None:
        return "<no file>"
    text = os.fsdecode(path)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class IrstlabelError(Exception):
    """A problem caused by the user's input: a file, a folder, a setting.

    The message always names the file (or setting) and what is wrong with it,
    on one line, so that the CLI can print it as is and the GUI can show it in
    a dialog.

    Parameters
    ----------
    path : path-like or None
        The file or folder at fault; None when the problem is a setting.
    problem : str
        What is wrong, in a few words.

    Examples
    --------
    >>> str(IrstlabelError("/data/a.png", "truncated or corrupt image"))
    '/data/a.png: truncated or corrupt image'
    """

    def __init__(self, path: str | os.PathLike | None, problem: str):
        self.path = None if path is None else os.fspath(path)
        # one line, no terminal escapes (torch colours some of its messages)
        self.problem = " ".join(_ANSI.sub("", str(problem)).split())
        text = self.problem if path is None else f"{display_path(path)}: {self.problem}"
        super().__init__(text)


class DatasetWarning(UserWarning):
    """Something unusual about a dataset that does not stop it from opening (one line, naming the file)."""


def from_os_error(exc: OSError) -> IrstlabelError:
    """The one-line error for a file the system refused (read-only, full, a file where a folder should be).

    Examples
    --------
    >>> str(from_os_error(FileExistsError(17, "File exists", "/out/masks")))
    '/out/masks: cannot be written (File exists)'
    """
    refused = isinstance(exc, (PermissionError, FileExistsError, NotADirectoryError))
    kind = NotWritable if refused or exc.errno in (errno.EROFS, errno.ENOSPC) else IrstlabelError
    return kind(exc.filename, f"cannot be written ({exc.strerror or exc})")


class LockBusy(IrstlabelError):
    """Another live process holds the lock (a project open for writing, a training job running)."""


class NotWritable(IrstlabelError):
    """A folder or file irstlabel must write cannot be written (read-only, no permission, disk full)."""
