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


class ProviderOps:
    def providers_report(self, check: bool = False) -> dict[str, Any]:
        import time

        from moviegen.brain.providers.registry import registry
        from moviegen.core.brain import TextRequest
        from moviegen.core.errors import MoviegenError

        reg, out = registry(), {}
        for capability in ("text", "image", "speech", "music"):
            chain = []
            for entry in getattr(self.settings.providers, capability):
                name, _, model = entry.partition(":")
                spec = reg.get(capability, name)
                missing = [need for need in spec.needs if not getattr(self.settings, need, None)]
                row = {"entry": entry, "provider": name, "model": model or None, "offline": spec.offline,
                       "configured": not missing, "missing": [m.upper() for m in missing],
                       "description": spec.description}  # fmt: skip
                if check and capability == "text" and not missing and not spec.offline:
                    started = time.perf_counter()
                    try:
                        answer = self.router.provider("text", name, model or None).generate(
                            TextRequest(task="providers.check", prompt="Answer with the word: ok", max_tokens=5)
                        )
                        row["check"] = {
                            "ok": True,
                            "model": answer.model,
                            "ms": round((time.perf_counter() - started) * 1000),
                        }
                    except MoviegenError as exc:
                        row["check"] = {"ok": False, "error": exc.message}
                chain.append(row)
            out[capability] = chain
        out["serving"] = self.providers()
        return out
