"""A JSON file of benchmark runs that a rerun extends instead of repeating.

Each run is a dict identified by (method, feature, n, draw). The file is
rewritten atomically after every added run, so an interrupted benchmark
loses at most the run in progress. It also records the package versions and
the machine of every process that added runs.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

from embedsent.json_nesting import json_type_name, parse_json
from embedsent.storage import FileIdentity, write_text_atomic

__all__ = ["STORE_FORMAT", "RunStore", "environment"]

# The "format" value, and first key, of every results file.
STORE_FORMAT = "embedsent.learning-curves"
_STORE_VERSION = 1
_PACKAGES = (
    "embedsent",
    "jax",
    "jaxlib",
    "optax",
    "numpy",
    "scipy",
    "gensim",
    "scikit-learn",
)


def environment() -> dict:
    """Describe the package versions and the machine that measure the runs."""
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    import jax

    return {
        "python": sys.version.split()[0],
        "packages": versions,
        "machine": {
            "platform": platform.platform(),
            "processor": _cpu_model(),
            "cpu_count": os.cpu_count(),
            "jax_devices": [str(device) for device in jax.devices()],
            "load_average": [round(load, 2) for load in os.getloadavg()],
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo, else the architecture."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class RunStore:
    """The JSON file of every measured run, rewritten atomically on each add.

    The file contains ``settings`` (what changes the result of a run), a list
    of ``sessions`` (package versions and machine of each process that added
    runs), ``runs`` (one dict each) and free-form ``extras``.

    Args:
        path: The JSON file; it is read when it exists.
        settings: JSON-ready settings of this process.

    Raises:
        ValueError: The file was written with other settings, so its runs
            would not be comparable with new ones.
    """

    def __init__(self, path: str | os.PathLike, settings: dict):
        self.path = Path(path)
        settings = json.loads(json.dumps(settings, default=str))
        if self.path.exists():
            data = _read_store(self.path)
            stored = data["settings"]
            if stored != settings:
                changed = _changed_settings(stored, settings)
                raise ValueError(
                    f"{self.path} contains runs measured with other settings "
                    f"(differing: {changed}); pass another --out-dir, or delete "
                    "the file to start over"
                )
            self.data = data
        else:
            self.data = {
                "format": STORE_FORMAT,
                "version": _STORE_VERSION,
                "settings": settings,
                "sessions": [],
                "runs": [],
                "extras": {},
            }
        self._keys = {self.key(run) for run in self.data["runs"]}
        self._session: int | None = None
        # The file this store saved last, which its next save replaces even
        # when a umask of 0222 made it read-only.
        self._written: FileIdentity | None = None

    @classmethod
    def read(cls, path: str | os.PathLike) -> RunStore:
        """Open the existing file at ``path`` with its stored settings.

        Unlike the constructor, this compares no settings, so it suits
        reading the runs for a report.

        Raises:
            FileNotFoundError: ``path`` does not exist.
            ValueError: ``path`` is not a learning-curve results file.
        """
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(
                f"learning-curve results file {path} not found; run the "
                "benchmark first, or pass the --out-dir that contains it"
            )
        data = _read_store(path)
        return cls(path, data["settings"])

    @staticmethod
    def key(run: dict) -> tuple:
        """Return the identity of a run: (method, feature, n, draw)."""
        return (run["method"], run["feature"], run["n"], run["draw"])

    @property
    def runs(self) -> list[dict]:
        return self.data["runs"]

    def __contains__(self, key: tuple) -> bool:
        return key in self._keys

    def add(self, run: dict) -> None:
        """Append ``run``, tagged with this process's session, and save."""
        if self.key(run) in self._keys:
            raise ValueError(f"run {self.key(run)} is already stored in {self.path}")
        if self._session is None:
            self.data["sessions"].append(environment())
            self._session = len(self.data["sessions"]) - 1
        self.data["runs"].append({**run, "session": self._session})
        self._keys.add(self.key(run))
        self.save()

    def set_extra(self, name: str, value) -> None:
        """Store ``value`` under ``extras[name]`` and save."""
        self.data["extras"][name] = value
        self.save()

    def save(self) -> None:
        self._written = write_text_atomic(
            self.path, json.dumps(self.data, indent=1), replaces=self._written
        )


def _read_store(path: Path) -> dict:
    """Read a results file, with the defaults of settings added since version 1."""
    try:
        with open(path, encoding="utf-8") as handle:
            content = handle.read()
        data = parse_json(
            content,
            source=f"learning-curve results file {path}",
            fix=(
                "embedsent writes no such nesting, so the file was edited or "
                "written by another program. Repair the JSON, or move the file "
                "away or delete it to start over, which loses the runs stored in it"
            ),
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        reason = (
            f"{error.msg} at line {error.lineno}, column {error.colno}"
            if isinstance(error, json.JSONDecodeError)
            else str(error)
        )
        # save() writes through write_text_atomic (a temporary file renamed
        # over this one), so an interrupted run leaves the previous complete
        # file, and damage comes from elsewhere, such as an edit or a copy.
        raise ValueError(
            f"learning-curve results file {path} is damaged or truncated "
            f"({reason}); embedsent writes it atomically, so an interrupted run "
            "does not cause this, but an edit or an incomplete copy can. Repair "
            "the JSON, or move the file away or delete it to start over, which "
            "loses the runs stored in it"
        ) from error
    if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
        raise ValueError(
            f"{path} is not a learning-curve results file; pass another --out-dir"
        )
    problem = _layout_problem(data)
    if problem is not None:
        raise ValueError(
            f"learning-curve results file {path} is damaged: {problem}, which "
            "embedsent never writes, so the file was edited or written by "
            "another program. Repair it, or move the file away or delete it to "
            "start over, which loses the runs stored in it"
        )
    stored = data["settings"]
    # Runs stored before the export choice existed used input vectors.
    if isinstance(stored.get("sgns"), dict):
        stored["sgns"].setdefault("add_context_vectors", False)
    return data


# Fields that identify a stored run, and its result.
_RUN_FIELDS = ("method", "feature", "n", "draw", "accuracy")
_SECTION_TYPES = {"settings": dict, "sessions": list, "runs": list, "extras": dict}


def _layout_problem(data: dict) -> str | None:
    """Describe the first part of a results file with the wrong layout, or None."""
    for name, kind in _SECTION_TYPES.items():
        if not isinstance(data.get(name), kind):
            expected_type = "object" if kind is dict else "array"
            return f"its {name!r} entry is missing or not a JSON {expected_type}"
    for index, run in enumerate(data["runs"]):
        if not isinstance(run, dict):
            return f"run {index} is a JSON {json_type_name(run)}, not an object"
        missing = [field for field in _RUN_FIELDS if field not in run]
        if missing:
            return f"run {index} has no {', '.join(repr(f) for f in missing)} field"
    return None


def _changed_settings(stored: dict, current: dict, prefix: str = "") -> list[str]:
    """Return the dotted names of the settings that differ, such as sgns.dim."""
    changed = []
    for key in sorted(set(stored) | set(current)):
        before, now = stored.get(key), current.get(key)
        if before == now:
            continue
        if isinstance(before, dict) and isinstance(now, dict):
            changed.extend(_changed_settings(before, now, f"{prefix}{key}."))
        else:
            changed.append(f"{prefix}{key}")
    return changed
