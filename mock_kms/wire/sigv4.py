"""SigV4 verification: ``mock_kms(verify_signatures=True)`` and ``mock-kms serve --verify-signatures``.

A request is checked the way AWS checks it, against the secret access key of the principal
that owns the request's access key id: ``kms_mock.iam`` users, role sessions and account roots,
or the mock's own throwaway credentials (``MOCK_ACCESS_KEY_ID``/``MOCK_SECRET_ACCESS_KEY``).

What is checked, in this order, each failure answered with AWS's code and message:

- an ``Authorization`` header exists (``MissingAuthenticationTokenException``);
- it is ``AWS4-HMAC-SHA256`` with ``Credential``, ``SignedHeaders`` and ``Signature``, and the
  request has an ``X-Amz-Date`` (or ``Date``) header (``IncompleteSignatureException``);
- the credential has five elements ending in ``aws4_request`` (``IncompleteSignatureException``);
- the access key id is known (``UnrecognizedClientException``), and a role session's
  ``X-Amz-Security-Token`` is its own (same);
- the scope names the service ``kms``, and the region the URL names when the URL is an AWS
  KMS endpoint (``kms.<region>.amazonaws.com``, FIPS, dual-stack…); a custom endpoint (the
  server, ``endpoint_url``) names no region, so the scope's region is the request's region, as
  without verification (``InvalidSignatureException``);
- the scope's date is the date of ``X-Amz-Date``, and ``X-Amz-Date`` is within 5 minutes of
  now (``InvalidSignatureException``). "Now" is the clock the client signed with:
  ``datetime.now(timezone.utc)`` of this process, which freezegun and time-machine move for
  botocore's signer too — *not* ``kms_mock.clock``, whose offset only the mock sees, so moving
  ``kms_mock.clock`` never breaks a signature. A server checks against its own wall clock;
- ``host`` is a signed header, and the signature over the canonical request (method, path,
  query, the signed headers' values, SHA-256 of the body as received) matches
  (``InvalidSignatureException``) — so a changed body, a changed signed header, a wrong secret,
  region or service, all fail.

Not checked: SigV4A, presigned (query-string) requests, and whether a permanent access key sends
a session token. Requests failing these checks reach neither the API nor the call journal, as
they never reach KMS on AWS.

Sources of the texts: the IAM User Guide, "Troubleshoot Signature Version 4 signing for AWS API
requests" (docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html): "Missing
Authentication Token", "The request signature we calculated does not match the signature you
provided", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from
HTTP", "Signature expired: … is now earlier than …", "Signature not yet current: … is still
later than …", "Credential should be scoped to a valid Region, not …"; full texts as services
send them, from reports of real responses: aws/aws-sdk-js#4285 (IncompleteSignatureException
"Authorization header requires 'Credential' parameter. … Authorization=…"),
bKash-developer/webhook-endpoint-php#3 (the X-Amz-Date requirement), iann0036/cloud9-sync#10
and awslabs/fhir-works-on-aws-deployment#379 ("… not a valid key=value pair (missing
equal-sign) in Authorization header: …"), hassy/artillery-dino#2 (the full "Signature expired"
text with "- 5 min."), cllunsford/aws-signing-proxy#25 and brendanhay/amazonka#474
("Credential should be scoped to correct service: '…'. "), JuliaCloud/AWS.jl#565 ("Credential
should be scoped to a valid region, not '…'. "), aws/aws-encryption-sdk-java#9
(UnrecognizedClientException "The security token included in the request is invalid."),
aws/aws-sdk-cpp#2466 (MissingAuthenticationTokenException "Missing Authentication Token").
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from mock_kms.core.errors import KMSError, UnrecognizedClientException, _define
from mock_kms.core.ids import random_uuid
from mock_kms.wire.protocol import WireResponse, error_response, handle, header

if TYPE_CHECKING:
    from mock_kms.mock import KmsMock

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "kms"
# AWS's allowed clock skew between the signer and the service.
MAX_SKEW = timedelta(minutes=5)

# Common AWS errors (not in KMS's model; botocore raises them as ClientError with this code).
# HTTP 400, as KMS sends its other errors (a guess: the status of these is not on record).
InvalidSignatureException = _define("InvalidSignatureException")
IncompleteSignatureException = _define("IncompleteSignatureException")
MissingAuthenticationTokenException = _define("MissingAuthenticationTokenException")

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."

# kms.<region>.amazonaws.com, kms-fips.<region>.amazonaws.com, kms.<region>.api.aws (dual-stack),
# China and other partitions' domains.
_AWS_ENDPOINT = re.compile(r"^kms(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|api\.aws)$")
_AMZ_DATE = re.compile(r"^\d{8}T\d{6}Z$")


def handle_signed(
    mock: KmsMock, method: str, url: str, headers: Mapping[str, Any], body: bytes | str | None
) -> WireResponse:
    """``protocol.handle``, after checking the signature when ``mock.verify_signatures`` is on."""
    if mock.verify_signatures:
        try:
            verify(mock, method, url, headers, body)
        except (ValueError, OverflowError, TypeError) as malformed:  # a Host, date or signature no parser takes
            # Guess: AWS's answer to such input is not on record; its code for a malformed signature.
            error = IncompleteSignatureException(f"Authorization header requires a well-formed request: {malformed}")
            return error_response(error, random_uuid())
        except KMSError as error:
            return error_response(error, random_uuid())
    return handle(mock, headers, body)



def verify(mock: KmsMock, method: str, url: str, headers: Mapping[str, Any], body: bytes | str | None) -> None:
    """Raise the KMSError AWS answers if the request's SigV4 signature does not hold."""
    authorization = header(headers, "Authorization")
    if not authorization:
        raise MissingAuthenticationTokenException("Missing Authentication Token")
    amz_date = header(headers, "X-Amz-Date")
    date_header = header(headers, "Date")
    fields = _parse_authorization(authorization, has_date=bool(amz_date or date_header))
    credential = fields["Credential"]
    parts = credential.split("/")
    if len(parts) != 5:
        # Guess: the text AWS services send for a credential of the wrong shape.
        raise IncompleteSignatureException(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{credential}'"
        )
    access_key, scope_date, region, service, terminator = parts
    if terminator != "aws4_request":
        # Guess: AWS's wording for a scope that does not end in aws4_request.
        raise IncompleteSignatureException(
            f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
        )
    secret = _secret(mock, access_key, headers)
    if service != SERVICE:
        raise InvalidSignatureException(f"Credential should be scoped to correct service: '{SERVICE}'. ")
    parsed_url = urlsplit(url)
    host = header(headers, "Host") or _canonical_host(parsed_url)
    named = _AWS_ENDPOINT.match(host.rsplit(":", 1)[0] if not host.startswith("[") else host)
    if named is not None and named.group(1) != region:
        raise InvalidSignatureException(f"Credential should be scoped to a valid region, not '{region}'. ")
    timestamp = amz_date or _amz_date_from_http_date(date_header)
    signed_at = _parse_amz_date(timestamp)
    if scope_date != timestamp[:8]:
        # The documented start of the text; the details after it are a guess.
        raise InvalidSignatureException(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{scope_date}' != '{timestamp[:8]}', from '{timestamp}'."
        )
    _check_time(signed_at, timestamp)
    signed_headers = fields["SignedHeaders"].split(";")
    if "host" not in signed_headers and ":authority" not in signed_headers:
        # Guess: AWS's wording when the host is left out of the signature.
        raise InvalidSignatureException("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    # Every x-amz-* header sent must be signed (SigV4: "all x-amz-* headers ... must be signed"):
    # else X-Amz-Target, the operation, could be changed after signing. Guess: AWS's wording.
    unsigned = sorted(
        name for name in (str(raw).lower() for raw in headers.keys()) if name.startswith("x-amz-") and name not in signed_headers
    )
    if unsigned:
        raise InvalidSignatureException(f"There were headers present in the request which were not signed: {', '.join(unsigned)}")
    canonical = canonical_request(method, parsed_url, headers, signed_headers, host, body)
    scope = f"{scope_date}/{region}/{service}/aws4_request"
    string_to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    expected = hmac.new(_signing_key(secret, scope_date, region, service), string_to_sign.encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), fields["Signature"].strip().lower()):
        raise InvalidSignatureException(SIGNATURE_MISMATCH)


# -- the parts ------------------------------------------------------------------------------
def _header_values(headers: Mapping[str, Any], name: str) -> list[str]:
    """Every value of header ``name`` (a header may be sent more than once)."""
    get_all = getattr(headers, "get_all", None)
    if callable(get_all):
        values = get_all(name) or []
    else:
        values = [value for key, value in headers.items() if key.lower() == name]
    return [value.decode("latin-1") if isinstance(value, bytes) else str(value) for value in values]


def _parse_authorization(authorization: str, *, has_date: bool) -> dict[str, str]:
    algorithm, _, rest = authorization.strip().partition(" ")
    fields: dict[str, str] = {}
    if algorithm == ALGORITHM:
        for pair in rest.split(","):
            pair = pair.strip()
            if not pair:
                continue
            name, equals, value = pair.partition("=")
            if not equals:
                raise IncompleteSignatureException(
                    f"'{pair}' not a valid key=value pair (missing equal-sign) in Authorization header: "
                    f"'{authorization}'."
                )
            fields[name.strip()] = value.strip()
    problems = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    if not has_date:
        problems.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if problems:
        raise IncompleteSignatureException(" ".join(problems) + f" Authorization={authorization}")
    return fields


def _secret(mock: KmsMock, access_key: str, headers: Mapping[str, Any]) -> str:
    from mock_kms.mock import MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY

    principal = mock.iam.principal_for_access_key(access_key)
    if principal is None:
        if access_key == MOCK_ACCESS_KEY_ID:
            return MOCK_SECRET_ACCESS_KEY
        raise UnrecognizedClientException(INVALID_TOKEN)
    token = getattr(principal, "session_token", None)
    if token and header(headers, "X-Amz-Security-Token") != token:
        raise UnrecognizedClientException(INVALID_TOKEN)
    return principal.secret_access_key


def _canonical_host(url: Any) -> str:
    """The host botocore signs when the request carries no Host header: the URL's, without a
    default port."""
    host = url.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = url.port
    if port is not None and not (url.scheme == "http" and port == 80) and not (url.scheme == "https" and port == 443):
        host = f"{host}:{port}"
    return host


def _amz_date_from_http_date(value: str | None) -> str:
    try:
        moment = parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        moment = None
    if moment is None:
        # Guess: AWS's wording for a date it cannot read.
        raise IncompleteSignatureException(f"Date must be in ISO-8601 'basic format'. Got '{value}'.")
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _parse_amz_date(value: str) -> datetime:
    if _AMZ_DATE.match(value):
        try:
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    # Guess: AWS's wording for an X-Amz-Date it cannot read.
    raise IncompleteSignatureException(f"Date must be in ISO-8601 'basic format'. Got '{value}'.")


def _check_time(signed_at: datetime, timestamp: str) -> None:
    # The signer's clock: this process's (freezegun moves it for botocore too), never kms_mock.clock.
    now = datetime.now(timezone.utc)

    def fmt(moment: datetime) -> str:
        return moment.strftime("%Y%m%dT%H%M%SZ")

    if signed_at < now - MAX_SKEW:
        raise InvalidSignatureException(
            f"Signature expired: {timestamp} is now earlier than {fmt(now - MAX_SKEW)} ({fmt(now)} - 5 min.)"
        )
    if signed_at > now + MAX_SKEW:
        raise InvalidSignatureException(
            f"Signature not yet current: {timestamp} is still later than {fmt(now + MAX_SKEW)} ({fmt(now)} + 5 min.)"
        )


def canonical_request(
    method: str, url: Any, headers: Mapping[str, Any], signed_headers: list[str], host: str, body: bytes | str | None
) -> str:
    """SigV4's canonical request, as the signer built it (non-S3 rules: the path URI-encoded)."""
    # The path as sent (already percent-encoded) is encoded once more, as botocore and the JS SDK
    # sign it for every service but S3.
    path = quote(_normalize_path(url.path or "/"), safe="/~")
    pairs = []
    for item in url.query.split("&") if url.query else ():
        name, _, value = item.partition("=")
        pairs.append((quote(unquote(name), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    query = "&".join(f"{name}={value}" for name, value in sorted(pairs))
    lines = []
    for name in signed_headers:
        if name == "host" and header(headers, "Host") is None:
            values = [host]
        else:
            values = _header_values(headers, name)
        lines.append(f"{name}:{','.join(' '.join(value.split()) for value in values)}\n")
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    payload = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, query, "".join(lines), ";".join(signed_headers), payload])


def _normalize_path(path: str) -> str:
    """Remove empty, ``.`` and ``..`` segments, keeping a trailing slash: the path botocore and the
    JS SDK sign (``/a/b/..`` is ``/a``)."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    normalized = "/" + "/".join(segments)
    if segments and path.endswith("/"):
        normalized += "/"
    return normalized


_signing_keys: dict[tuple[str, str, str, str], bytes] = {}


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    cached = _signing_keys.get((secret, date, region, service))
    if cached is None:
        key = ("AWS4" + secret).encode("utf-8")
        for part in (date, region, service, "aws4_request"):
            key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
        if len(_signing_keys) >= 256:
            _signing_keys.clear()
        cached = _signing_keys[(secret, date, region, service)] = key
    return cached
