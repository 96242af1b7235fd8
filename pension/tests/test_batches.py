"""The batch engine's rules that no single batch test shows: one lock namespace per
kind, every run model on ``BatchRun`` with the engine's constraints, and no batch
module carrying its own copy of the run machinery (issue 16)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pension import batches

ROOT = Path(__file__).resolve().parents[2]
BATCH_MODULES = [
    "contributions/assessment.py",
    "accounts/runs.py",
    "benefits/payroll/runs.py",
    "benefits/adjustment/adjustments.py",
    "benefits/determination/provisional.py",
]
# the run machinery the engine owns: a batch module defining one of these again is a copy
ENGINE_OWNED = {"_begin", "_finish", "_fail", "_progress", "_summary", "RunLock"}


def test_each_batch_kind_has_its_own_lock_namespace():
    spaces = list(batches.LOCK_SPACES.values())
    assert len(spaces) == len(set(spaces))
    # a run id (below 2**32) added to one namespace never reaches the next
    assert all(space % 2**32 == 0 for space in spaces)


@pytest.mark.parametrize("path", BATCH_MODULES)
def test_a_batch_module_keeps_its_sql_and_leaves_the_run_to_the_engine(path):
    source = (ROOT / path).read_text(encoding="utf-8")
    tree = ast.parse(source)
    defined = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    assert not defined & ENGINE_OWNED, path
    assert "pg_try_advisory_lock" not in source, path
    assert "batches.execute(" in source, path
    assert "batches.Batch(" in source, path


def test_every_run_model_is_a_batch_run_with_the_engine_constraints():
    from django.apps import apps

    runs = [m for m in apps.get_models() if issubclass(m, batches.BatchRun)]
    names = {m.__name__ for m in runs}
    assert {
        "AssessmentRun",
        "AccountRun",
        "PayrollRun",
        "AdjustmentEvent",
        "ProvisionalRecalculation",
    } <= names
    for model in runs:
        constraints = {c.name for c in model._meta.constraints}
        prefix = model._meta.model_name
        assert {
            f"{prefix}_progress",
            f"{prefix}_approver_not_starter",
            f"{prefix}_approver_not_recalculator",
        } <= constraints, model


def test_the_chunks_are_dealt_to_the_workers_by_weight_in_plan_order():
    pending = [["a", 5], ["b", 4], ["c", 3], ["d", 3], ["e", 1]]
    # heaviest first, each to the lightest share: a→1st (5), b→2nd (4), c→2nd (4 < 5:
    # 7), d→1st (5 < 7: 8), e→2nd (7 < 8: 8)
    assert batches.shares(pending, 2) == [[["a", 5], ["d", 3]], [["b", 4], ["c", 3], ["e", 1]]]
    assert batches.shares(pending, 1) == [pending]
    assert batches.shares([["a", 5]], 2) == [[["a", 5]]]  # no empty share
