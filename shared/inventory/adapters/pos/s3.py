"""CSV exports dropped in an S3 bucket: every object under a prefix newer than the watermark."""
from __future__ import annotations

from typing import Iterator

from ...service.url_policy import check_webhook_url
from .file import FilePos
from .pages import Page, in_pages


class S3Pos:
    def __init__(self, bucket: str, prefix: str, secret: str | None, endpoint_url: str | None,
                 region: str | None, allow_loopback: bool = False):
        import boto3  # only syncs from S3 load the AWS SDK

        if endpoint_url:  # an S3-compatible store: the same address rules as webhooks
            check_webhook_url(endpoint_url, allow_loopback=allow_loopback)
        access_key, _, secret_key = (secret or "").partition(":")
        self.bucket, self.prefix = bucket, prefix
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region or "us-east-1",
                                   aws_access_key_id=access_key or None,
                                   aws_secret_access_key=secret_key or None)

    def pages(self, since: str | None) -> Iterator[Page]:
        """Objects in LastModified order; the newest one read is the next watermark."""
        objects = []
        for listing in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix):
            objects += [o for o in listing.get("Contents", []) if o["Key"].endswith(".csv")]
        stamp = lambda o: f"{o['LastModified'].isoformat()}|{o['Key']}"  # noqa: E731
        for found in sorted((o for o in objects if since is None or stamp(o) > since), key=stamp):
            body = self.client.get_object(Bucket=self.bucket, Key=found["Key"])["Body"].read()
            yield from in_pages(FilePos.csv_rows(body.decode("utf-8")), stamp(found))
