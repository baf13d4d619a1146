"""CSV exports dropped in an S3 bucket: every object under a prefix newer than the watermark.

The AWS SDK's requests are sent by our own transport (botocore's `before-send` hook answers them):
each passes the URL policy and goes to the address it checked, counts against the sync's limits,
and an endpoint that keeps redirecting is stopped after a few redirects.
"""
from __future__ import annotations

from typing import Iterator

from requests import PreparedRequest
from requests.structures import CaseInsensitiveDict

from ...domain.errors import InvalidInput
from ...service.url_policy import UrlPolicy
from ..checked_http import CheckedAddressAdapter
from .file import FilePos
from .pages import Page, PosLimits, in_pages

FIELD = "settings.endpoint_url"
MAX_REDIRECTS = 5  # S3 answers one to a request sent to the bucket's wrong region


class S3RedirectLoop(Exception):
    """The endpoint kept answering with redirects."""


class S3Pos:
    def __init__(self, bucket: str, prefix: str, secret: str | None, endpoint_url: str | None,
                 region: str | None, policy: UrlPolicy, limits: PosLimits = PosLimits(),
                 timeout_s: float = 30):
        import boto3  # only syncs from S3 load the AWS SDK
        from botocore.exceptions import InvalidRegionError

        if endpoint_url:  # an S3-compatible store: checked now, so a bad one is refused when saved
            policy.check(endpoint_url, FIELD)
        access_key, _, secret_key = (secret or "").partition(":")
        self.bucket, self.prefix = bucket, prefix
        self.limits, self.timeout_s = limits, timeout_s
        self.transport = CheckedAddressAdapter(policy, FIELD)
        try:
            self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region or "us-east-1",
                                       aws_access_key_id=access_key or None,
                                       aws_secret_access_key=secret_key or None)
        except ValueError as refusal:  # the SDK's own checks of the region and the endpoint
            field = "settings.region" if isinstance(refusal, InvalidRegionError) else FIELD
            raise InvalidInput(f"the AWS SDK refuses {field}: {refusal}", field, "invalid_settings") from None
        self.client.meta.events.register("before-send.s3", self._send)
        self._budget, self._redirects = limits.budget(), 0

    def pages(self, since: str | None) -> Iterator[Page]:
        """Objects in LastModified order; the newest one read is the next watermark."""
        self._budget, self._redirects = self.limits.budget(), 0
        objects = []
        for listing in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix):
            objects += [o for o in listing.get("Contents", []) if o["Key"].endswith(".csv")]
        stamp = lambda o: f"{o['LastModified'].isoformat()}|{o['Key']}"  # noqa: E731
        for found in sorted((o for o in objects if since is None or stamp(o) > since), key=stamp):
            body = self.client.get_object(Bucket=self.bucket, Key=found["Key"])["Body"].read()
            yield from in_pages(FilePos.csv_rows(body.decode("utf-8")), stamp(found))

    def _send(self, request, **_):
        """Send one signed AWS request the way botocore's own session does, through ours."""
        from botocore.awsrequest import AWSResponse

        prepared = PreparedRequest()  # as signed: no re-quoting of the URL
        prepared.method, prepared.url, prepared.body = request.method, request.url, request.body
        prepared.headers = CaseInsensitiveDict(request.headers.items())
        response = self.transport.send(prepared, stream=True,
                                       timeout=self._budget.next_request(self.timeout_s))
        if response.status_code in (301, 302, 303, 307, 308):
            self._redirects += 1
            if self._redirects > MAX_REDIRECTS:
                response.close()
                raise S3RedirectLoop(f"the S3 endpoint answered more than {MAX_REDIRECTS} redirects "
                                     f"(the last {response.status_code}); stopped")
        answer = AWSResponse(request.url, response.status_code, response.raw.headers, response.raw)
        if not request.stream_output:
            answer.content  # read now, as botocore does
        return answer
