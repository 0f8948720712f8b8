"""The guarded set in mutation.toml names modules and tests that exist (docs/testing.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from rtw_platform.testing.mutation import (
    Guarded,
    _cosmic_ray_config,
    _is_bare_star,
    _key,
    _python,
    changed_lines,
    load,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


def test_every_guarded_module_and_its_tests_exist() -> None:
    settings = load(ROOT)
    assert settings.modules
    for module in settings.modules:
        assert (ROOT / module.path).is_file(), (
            f"mutation.toml: {module.name} names {module.path}, which is gone"
        )
        assert module.tests, f"mutation.toml: {module.name} names no tests"
        for test in module.tests:
            assert (ROOT / test.split("::")[0]).is_file(), (  # a file, or one test in it
                f"mutation.toml: {module.name} names the test {test}, which is gone"
            )


def test_the_module_names_are_unique_paths() -> None:
    paths = [m.path for m in load(ROOT).modules]
    assert len(paths) == len(set(paths))


def test_a_config_naming_a_missing_module_is_caught(tmp_path: Path) -> None:
    (tmp_path / "mutation.toml").write_text(
        '[settings]\ntimeout_s = 1\n[modules.gone]\npath = "nowhere.py"\ntests = ["t.py"]\n'
    )
    [module] = load(tmp_path).modules
    assert not (tmp_path / module.path).exists()


def test_changed_lines_are_read_from_git(tmp_path: Path) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "a.py").write_text("one\ntwo\nthree\n")
    git("add", "a.py")
    git("-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "a")
    (tmp_path / "a.py").write_text("one\nTWO\nthree\nfour\n")

    assert changed_lines(tmp_path, "HEAD", "a.py") == {2, 4}


def test_an_equivalent_mutant_is_named_by_its_line_and_what_it_became() -> None:
    diff = "--- mutation diff ---\n--- a/m.py\n+++ b/m.py\n@@ -3 +3 @@\n-    x = {0: 1}\n+    x = {-1: 1}\n"
    key = _key("core/NumberReplacer", "    x = {0: 1}", diff)
    assert key == "NumberReplacer @ x = {0: 1} -> x = {-1: 1}"

    one = Guarded("m", "m.py", ("t.py",), equivalent=("NumberReplacer @ x = {0: 1} -> x = {-1: 1}",))
    assert one.is_equivalent(key)
    assert not one.is_equivalent("NumberReplacer @ x = {0: 1} -> x = {1: 1}")  # another mutant there
    every = Guarded("m", "m.py", ("t.py",), equivalent=("NumberReplacer @ x = {0: 1}",))
    assert every.is_equivalent(key)
    assert every.is_equivalent("NumberReplacer @ x = {0: 1} -> x = {1: 1}")


def test_a_modules_own_pytest_arguments_join_the_settings(tmp_path: Path) -> None:
    (tmp_path / "mutation.toml").write_text(
        '[settings]\ntimeout_s = 1\npytest_args = ["-x"]\n'
        '[modules.pure]\npath = "p.py"\ntests = ["t.py"]\npytest_args = ["--noconftest"]\n'
    )
    settings = load(tmp_path)
    [module] = settings.modules
    assert "pytest -x --noconftest t.py" in _cosmic_ray_config(settings, module, "python")


def test_the_bare_star_of_a_signature_is_not_taken_for_a_multiplication() -> None:
    source = ["def f(a: int, *, b: int) -> int:", "    return a * b"]
    op = "core/ReplaceBinaryOperator_Mul_Div"
    assert _is_bare_star(source, op, (1, 14))
    assert not _is_bare_star(source, op, (2, 13))  # a real multiplication
    assert not _is_bare_star(source, "core/ReplaceBinaryOperator_Add_Sub", (1, 14))


def test_shared_out_mutants_go_to_the_workers_which_run_their_own_checkouts_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mutation.toml").write_text(
        '[settings]\ntimeout_s = 1\n[modules.m]\npath = "m.py"\ntests = ["t.py"]\n'
    )
    settings = load(tmp_path)
    [module] = settings.modules
    local = _cosmic_ray_config(settings, module, ".venv/bin/python")
    assert 'name = "local"' in local
    assert 'test-command = ".venv/bin/python -m pytest t.py"' in local
    shared = _cosmic_ray_config(
        settings, module, ".venv/bin/python", ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    )
    assert 'name = "http"' in shared
    assert 'worker-urls = ["http://127.0.0.1:1", "http://127.0.0.1:2"]' in shared
    # Each worker runs the tests with the interpreter of the checkout it runs in.
    monkeypatch.setattr(sys, "executable", str(tmp_path / ".venv" / "bin" / "python"))
    assert _python(tmp_path) == ".venv/bin/python"
    monkeypatch.setattr(sys, "executable", "/usr/bin/python3")
    assert _python(tmp_path) == "/usr/bin/python3"
