"""The README's Python example runs as written and reaches its stated score."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_block(marker: str) -> str:
    """Return the README's one Python code block that contains ``marker``."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    matching = [block for block in blocks if marker in block]
    assert len(matching) == 1
    return matching[0]


def _run_block(block: str) -> str:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(block, str(README), "exec"), {})
    return output.getvalue()


def test_readme_python_example_scores_as_stated(tmp_path, monkeypatch):
    block = _python_block("TransferClassifier(vectors)")
    stated = re.search(r"# (0\.\d+), as the demo", block)
    assert stated is not None
    monkeypatch.chdir(tmp_path)
    output = _run_block(block)
    assert float(output.split()[-1]) >= float(stated.group(1)) - 0.03
    assert (tmp_path / "model.npz").is_file()


def test_readme_sklearn_example_scores_as_stated(tmp_path, monkeypatch):
    block = _python_block("EmbeddingClassifier(vectors")
    stated = re.search(r"# (0\.\d+) on test", block)
    assert stated is not None
    monkeypatch.chdir(tmp_path)
    lines = _run_block(block).splitlines()
    assert len(lines) == 2
    assert float(lines[0]) >= float(stated.group(1)) - 0.03
    fold_scores = lines[1].strip("[]").split()
    assert len(fold_scores) == 2
