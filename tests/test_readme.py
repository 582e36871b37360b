"""The README's Python example runs as written and reaches its stated score."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_scores_as_stated(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 1
    stated = re.search(r"# (0\.\d+), as the demo", blocks[0])
    assert stated is not None
    monkeypatch.chdir(tmp_path)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(blocks[0], str(README), "exec"), {})
    assert float(output.getvalue().split()[-1]) >= float(stated.group(1)) - 0.03
    assert (tmp_path / "model.npz").is_file()
