"""What a project's provider calls cost, from its ledger."""

from __future__ import annotations

from typing import Any


class CostOps:
    def cost_report(self, project_id: str, entries: int = 0) -> dict[str, Any]:
        budget = self.project(project_id).info.budget_usd
        ledger = self.ledger(project_id)
        report = ledger.report()
        report["budget_usd"] = budget
        report["left_usd"] = None if budget is None else round(budget - report["total_usd"], 6)
        if entries:
            report["entries"] = ledger.entries(entries)
        return report
