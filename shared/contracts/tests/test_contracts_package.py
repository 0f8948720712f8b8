"""The contracts wheel another team installs: it builds from the repository, it carries its
type information (`py.typed`, PEP 561) and its JSON schemas, and the repository has a licence."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.contracts

ROOT = Path(__file__).resolve().parents[3]
UV = ROOT / ".tools" / "bin" / "uv"


def test_the_wheel_carries_py_typed_and_the_schemas(tmp_path: Path) -> None:
    if not UV.exists():
        pytest.fail(f"{UV} is missing: run `make install`")
    built = subprocess.run(
        [
            str(UV),
            "build",
            "--wheel",
            "--no-build-isolation",
            "--python",
            str(ROOT / ".venv" / "bin" / "python"),
            "--out-dir",
            str(tmp_path),
            str(ROOT / "shared" / "contracts"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"UV_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("rtw_contracts-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "rtw_contracts/py.typed" in names
    assert any(name.startswith("rtw_contracts/schemas/") and name.endswith(".json") for name in names)


def test_the_repository_has_a_licence_the_readme_names() -> None:
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License")
    assert "[MIT License](LICENSE)" in (ROOT / "README.md").read_text()
