"""The curated top-level API: ``giftreview.<name>`` for the everyday functions (pingouin style)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import giftreview


@pytest.mark.parametrize("name", [n for n in giftreview.__all__ if n != "__version__"])
def test_each_public_name_is_the_function_of_its_module(name):
    module = importlib.import_module(giftreview._API[name])
    assert getattr(giftreview, name) is getattr(module, name)
    assert name in module.__all__  # public in its own module too
    assert getattr(module, name).__doc__, f"{name} has no docstring"


def test_the_names_the_issue_asks_for_are_there():
    wanted = {"load_instrument", "load_clean", "read_raw", "validate_file", "clean_wave",
              "score_question", "breakdown_question", "adjust_pvalues", "proportion_interval",
              "suppress", "code_question", "reliability", "run_report"}  # fmt: skip
    assert wanted <= set(giftreview.__all__)
    assert wanted <= set(dir(giftreview))
    from giftreview import breakdown_question  # from-imports work too

    assert breakdown_question is giftreview.breakdown_question


def test_unknown_name_is_an_attribute_error_naming_the_list():
    with pytest.raises(AttributeError, match=r"no attribute 'breakdown'; the public names"):
        giftreview.breakdown  # noqa: B018


def test_import_giftreview_loads_no_heavy_module():
    code = "import sys, giftreview; print(sorted({'pandas', 'papermill', 'playwright'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
