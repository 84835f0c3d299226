"""Benchmark scripts (a regular package: grandiso, which grand-cypher needs, installs a top-level `benchmarks`
package of its own into site-packages, and a regular package there would shadow this folder as a namespace)."""
