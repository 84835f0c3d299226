"""People's logins (issue #13): what a password login costs, and what checking a JWT costs per call.

    python benchmarks/people.py              # about 20 s
    python benchmarks/people.py --runs 15

- login, in process: ``People.authenticate`` (argon2id verify with the parameters of people.ARGON2) for a right
  password, a wrong one and an unknown user (which verifies against a dummy hash, so it costs the same);
- login over HTTP: ``POST /auth/login`` to a real ``moviegen brain serve`` (argon2, the refresh token's write,
  the JWT's signing, the round trip);
- JWT check per call: ``People.verify`` (PyJWT HS256 decode on a token's first call, then its remembered claims;
  the user's live lookup every time) and the door's whole
  ``admit`` with a JWT, against the service-token check (``TokenStore.verify``: SHA-256 and a scan) as the
  baseline in the same process; medians of batches of 2,000 calls.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import brain_server, median_time  # noqa: E402

PASSWORD = "a benchmark password"


def per_call(fn, batch: int = 2000, runs: int = 7) -> float:
    """Median seconds per call over ``runs`` batches."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(batch):
            fn()
        times.append((time.perf_counter() - started) / batch)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    from starlette.datastructures import Headers

    from moviegen.brain.server.auth import Credentials
    from moviegen.brain.server.door import admit
    from moviegen.brain.server.people import ARGON2, People

    base = Path(tempfile.mkdtemp(prefix="moviegen-bench-people-"))
    home = base / "home"
    people = People(home)
    people.add("ada", "director", PASSWORD)
    out: dict = {"argon2": ARGON2, "load": os.getloadavg()}

    for label, name, password in (("right", "ada", PASSWORD), ("wrong", "ada", "nope nope"),
                                  ("unknown", "nobody", PASSWORD)):  # fmt: skip
        median, times = median_time(lambda n=name, p=password: people.authenticate(n, p), args.runs)
        out[f"login_{label}_ms"] = round(median * 1000, 1)
        out[f"login_{label}_runs_ms"] = [round(t * 1000, 1) for t in times]

    credentials = Credentials(home)
    jwt_token = credentials.people.issue("ada")["access_token"]
    service = credentials.tokens.create("farm", "service")
    for i in range(20):  # a studio with a few tokens: the scan is part of the baseline
        credentials.tokens.create(f"t{i}", "writer")
    assert credentials.verify(jwt_token) is not None and credentials.verify(service) is not None
    out["jwt_verify_us"] = round(per_call(lambda: credentials.verify(jwt_token)) * 1e6, 2)
    seen = credentials.people._seen  # a token's first call: the signature and claims checked by PyJWT
    out["jwt_first_verify_us"] = round(per_call(lambda: (seen.clear(), credentials.verify(jwt_token))) * 1e6, 2)
    out["service_token_verify_us"] = round(per_call(lambda: credentials.verify(service)) * 1e6, 2)
    headers = Headers({"authorization": f"Bearer {jwt_token}", "host": "127.0.0.1:8002"})
    out["door_admit_jwt_us"] = round(per_call(lambda: admit(headers, "127.0.0.1", credentials, True)) * 1e6, 2)
    out["jwt_vs_service_token"] = round(out["jwt_verify_us"] / out["service_token_verify_us"], 2)

    env = {**os.environ, "MOVIEGEN_HOME": str(home), "MOVIEGEN_PROJECTS_DIR": str(base / "projects"),
           "MOVIEGEN_LOGIN_ATTEMPTS": "1000"}  # fmt: skip
    import httpx

    with brain_server(env) as client_env:
        url = client_env["MOVIEGEN_BRAIN_URL"].rsplit("/mcp/ws", 1)[0].replace("ws", "http", 1)
        with httpx.Client(base_url=url, timeout=30) as http:
            http.post("/auth/login", json={"name": "ada", "password": PASSWORD})  # warm
            median, times = median_time(
                lambda: http.post("/auth/login", json={"name": "ada", "password": PASSWORD}).raise_for_status(),
                args.runs,
            )
    out["http_login_ms"] = round(median * 1000, 1)
    out["http_login_runs_ms"] = [round(t * 1000, 1) for t in times]
    out["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
