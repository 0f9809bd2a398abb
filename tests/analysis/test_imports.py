"""`litequant analyze` starts fast: it never loads the interpreter, the converter or the
generated `tflite` bindings (187 modules)."""
import subprocess
import sys

UNWANTED = ("litequant.interpreter", "litequant.conversion", "tflite")


def loaded_after(code):
    script = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)
    return set(done.stdout.split())


def test_import_litequant_is_light():
    modules = loaded_after("import litequant; litequant.analyze")
    assert "litequant.analysis" in modules
    assert not modules & set(UNWANTED)


def test_analyze_command_stays_light(data_dir):
    path = data_dir / "digits_cnn_tf_int8.tflite"
    modules = loaded_after(
        "import contextlib, io\nfrom litequant import cli\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    cli.main(['analyze', {str(path)!r}])")
    assert "litequant.analysis.text" in modules
    assert not modules & set(UNWANTED)
    assert not any(m.startswith(("litequant.interpreter.", "litequant.conversion.", "tflite."))
                   for m in modules)


def test_api_functions_are_not_shadowed_by_their_packages(data_dir):
    import litequant
    import litequant.analysis  # noqa: F401  (importing the package must not rebind the name)
    assert callable(litequant.analyze)
    assert "Subgraph#0" in litequant.analyze(data_dir / "digits_cnn_float.tflite")
