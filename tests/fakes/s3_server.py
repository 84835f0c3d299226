"""A real S3 API on loopback: moto's server (the same HTTP, signatures and errors botocore meets at AWS), with
credentials checked. moto starts open; we make an IAM user allowed s3:*, then switch authentication on, so a
wrong secret is refused as AWS refuses it (SignatureDoesNotMatch / 403)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


@dataclass
class S3Server:
    url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def client(self, secret: str | None = None):
        import boto3

        return boto3.session.Session().client(
            "s3", endpoint_url=self.url, region_name=self.region, aws_access_key_id=self.access_key,
            aws_secret_access_key=secret or self.secret_key,
        )  # fmt: skip

    def env(self, bucket: str) -> dict[str, str]:
        """The environment that points moviegen at this server and bucket."""
        return {"MOVIEGEN_ASSETS__S3_URL": self.url, "MOVIEGEN_ASSETS__S3_BUCKET": bucket,
                "AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_REGION": self.region}  # fmt: skip


@contextmanager
def s3_server() -> Iterator[S3Server]:
    """moto's threaded server on 127.0.0.1 (a free port), authentication on; everything it held is reset and
    the server stopped on exit."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        iam = boto3.session.Session().client("iam", endpoint_url=url, region_name="us-east-1",
                                             aws_access_key_id="setup", aws_secret_access_key="setup")  # fmt: skip
        iam.create_user(UserName="worker")
        iam.put_user_policy(UserName="worker", PolicyName="s3", PolicyDocument=json.dumps(POLICY))
        key = iam.create_access_key(UserName="worker")["AccessKey"]
        httpx.post(f"{url}/moto-api/reset-auth", content=b"0").raise_for_status()  # every request checked from now
        yield S3Server(url, key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        httpx.post(f"{url}/moto-api/reset-auth", content=b"inf")
        httpx.post(f"{url}/moto-api/reset")
        server.stop()
