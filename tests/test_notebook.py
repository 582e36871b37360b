"""Execute notebooks/walkthrough.ipynb end to end with nbclient.

The notebook runs in FAST mode (``EMBEDSENT_NOTEBOOK_FAST=1``) in a kernel
started from the interpreter that runs pytest, so a fresh virtual environment
with the test extras is all it needs. A cell that raises fails the test. Each
FAST run took 14 to 30 s on a 2-core machine shared with other jobs.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "walkthrough.ipynb"
KERNEL_NAME = "embedsent-test"
CELL_TIMEOUT_SECONDS = 300
HEADLINE_NAMES = (
    "scratch (untrained vectors)",
    "transfer (pretrained JAX vectors)",
    "TF-IDF + logistic regression",
)
PLOT_CELLS = ("loss-plot", "projection", "repeat-plot", "curve")


def _kernel_manager(folder: Path) -> AsyncKernelManager:
    """Create a kernel manager whose only kernel runs ``sys.executable``.

    A private kernelspec keeps a ``python3`` kernel registered elsewhere on the
    machine (for example in ``~/.local/share/jupyter``) from being picked.
    """
    kernels = folder / "kernels"
    write_kernel_spec(kernels / KERNEL_NAME)
    specs = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)


def _kernel_environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment["EMBEDSENT_NOTEBOOK_FAST"] = "1"
    # The project README promises bit-identical reruns on CPU only.
    environment["JAX_PLATFORMS"] = "cpu"
    # Without MPLBACKEND, ipykernel selects the inline backend, which turns
    # plt.show() into PNG outputs. A non-interactive backend such as Agg
    # would show nothing.
    environment.pop("MPLBACKEND", None)
    return environment


def execute_notebook(
    folder: Path, injected_source: str | None = None
) -> nbformat.NotebookNode:
    """Run the notebook in FAST mode and return it with its outputs.

    ``injected_source`` becomes a code cell right after the parameter cell,
    so its assignments override the defaults. The kernel's working folder is
    ``folder``, so a stray file cannot land in the repository.
    """
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    if injected_source is not None:
        position = _parameter_cell_index(notebook) + 1
        cell = nbformat.v4.new_code_cell(injected_source, id="injected-parameters")
        notebook.cells.insert(position, cell)
    folder.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(
        notebook,
        km=_kernel_manager(folder),
        timeout=CELL_TIMEOUT_SECONDS,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute(env=_kernel_environment())
    return notebook


def _parameter_cell_index(notebook: nbformat.NotebookNode) -> int:
    indices = [
        index
        for index, cell in enumerate(notebook.cells)
        if "parameters" in cell.metadata.get("tags", [])
    ]
    assert len(indices) == 1, f"expected one cell tagged 'parameters', got {indices}"
    return indices[0]


def _cell(notebook: nbformat.NotebookNode, cell_id: str) -> nbformat.NotebookNode:
    for cell in notebook.cells:
        if cell.get("id") == cell_id:
            return cell
    raise AssertionError(f"no cell with id {cell_id!r} in the notebook")


def _stream_text(cell: nbformat.NotebookNode, name: str = "stdout") -> str:
    return "".join(
        output.text
        for output in cell.get("outputs", [])
        if output.output_type == "stream" and output.name == name
    )


def _headline(notebook: nbformat.NotebookNode) -> dict[str, float]:
    text = _stream_text(_cell(notebook, "classify"))
    accuracies = {}
    for name in HEADLINE_NAMES:
        match = re.search(rf"^  {re.escape(name)} +(\d+\.\d)%$", text, re.MULTILINE)
        assert match, f"headline line for {name!r} missing from:\n{text}"
        accuracies[name] = float(match.group(1))
    return accuracies


@pytest.fixture(scope="module")
def fast_runs(tmp_path_factory) -> tuple[nbformat.NotebookNode, ...]:
    """Two FAST executions of the notebook, each in a fresh kernel."""
    return tuple(
        execute_notebook(tmp_path_factory.mktemp(f"notebook-run-{run}"))
        for run in (1, 2)
    )


def test_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [], f"cell {cell.id!r} has committed outputs"
        assert cell.execution_count is None, (
            f"cell {cell.id!r} has execution count {cell.execution_count}"
        )
        assert "execution" not in cell.metadata, (
            f"cell {cell.id!r} has committed execution timestamps"
        )


def test_committed_parameter_cell_defaults():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    source = notebook.cells[_parameter_cell_index(notebook)].source
    assert re.search(r"^SEED = \d+$", source, re.MULTILINE), source
    assert re.search(r"^IMDB_PATH = None\b", source, re.MULTILINE), source
    assert "EMBEDSENT_NOTEBOOK_FAST" in source, source


def test_notebook_kernelspec_is_python3():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebook.metadata["kernelspec"]["language"] == "python"


def test_kernel_runs_this_interpreter(tmp_path):
    manager = _kernel_manager(tmp_path)
    assert manager.kernel_spec.argv[0] == sys.executable


def test_fast_run_prints_headline(fast_runs):
    accuracies = _headline(fast_runs[0])
    for name, accuracy in accuracies.items():
        assert 0.0 <= accuracy <= 100.0, f"{name}: {accuracy}%"


def test_fast_run_uses_shipped_corpus(fast_runs):
    text = _stream_text(_cell(fast_runs[0], "load"))
    assert "corpus: movie_reviews" in text, text
    assert "test texts: 200" in text, text


def test_fast_run_repeat_starts_with_headline(fast_runs):
    # The repeated comparison starts at SEED, so its first row is the headline.
    accuracies = _headline(fast_runs[0])
    first_row = _stream_text(_cell(fast_runs[0], "repeat")).splitlines()[0]
    assert f"scratch {accuracies[HEADLINE_NAMES[0]]:5.1f}%" in first_row, first_row
    assert f"transfer {accuracies[HEADLINE_NAMES[1]]:5.1f}%" in first_row, first_row
    assert f"TF-IDF {accuracies[HEADLINE_NAMES[2]]:5.1f}%" in first_row, first_row


def test_fast_run_shows_plots(fast_runs):
    for cell_id in PLOT_CELLS:
        outputs = _cell(fast_runs[0], cell_id).outputs
        images = [output for output in outputs if "image/png" in output.get("data", {})]
        assert len(images) == 1, f"cell {cell_id!r} shows {len(images)} PNG images"


def test_fast_run_reloaded_model_matches(fast_runs):
    text = _stream_text(_cell(fast_runs[0], "save"))
    assert "identical class probabilities on 200 test reviews: True" in text, text


# The save cell scores the shipped test reviews, one of which has a single
# known word, and the notebook explains the warning that this gives.
SHORT_TEXT_WARNING = "in-vocabulary tokens of the shortest training text."


def test_fast_run_stderr_only_short_warning(fast_runs):
    for cell in fast_runs[0].cells:
        if cell.cell_type == "code":
            lines = _stream_text(cell, "stderr").splitlines()
            expected = [line for line in lines if SHORT_TEXT_WARNING in line]
            if cell.id != "save":
                expected = []
            unexpected = "\n".join(line for line in lines if line not in expected)
            assert unexpected == "", f"cell {cell.id!r} wrote to stderr:\n{unexpected}"


def test_fast_rerun_prints_same_text(fast_runs):
    first, second = fast_runs
    assert [cell.id for cell in first.cells] == [cell.id for cell in second.cells]
    for cell_first, cell_second in zip(first.cells, second.cells, strict=True):
        if cell_first.cell_type != "code":
            continue
        assert _stream_text(cell_first) == _stream_text(cell_second), (
            f"cell {cell_first.id!r} printed different text in a second run"
        )


@pytest.mark.slow
@pytest.mark.realdata
def test_fast_run_on_imdb(imdb_archive, tmp_path):
    notebook = execute_notebook(tmp_path, f"IMDB_PATH = {str(imdb_archive)!r}")
    load_text = _stream_text(_cell(notebook, "load"))
    assert "corpus: aclImdb" in load_text, load_text
    assert "test texts: 200 {'neg': 100, 'pos': 100}" in load_text, load_text
    accuracies = _headline(notebook)
    for name, accuracy in accuracies.items():
        assert 0.0 <= accuracy <= 100.0, f"{name}: {accuracy}%"
