"""Where the time of one call goes, layer by layer (Encrypt, Decrypt, GenerateDataKey, Sign).

Three kinds of figures, all µs per call:

1. Through boto3, in alternating rounds: the floor (botocore's own client-side work —
   serialize, sign, parse — answered by a canned ``before-send`` handler) and mock_kms.
2. ``handle_request()`` alone: the whole mock, called directly with the request the client sends.
3. Each layer inside ``handle_request()``, called on its own with the same inputs, in a tight
   loop (so in its most favourable, cache-hot state).

"Interception and cache effects" is what remains of (mock_kms − floor) once ``handle_request``
is subtracted: the patched ``Endpoint._send``, the ``AWSResponse`` handed back, and the cost of
the mock's code and data competing with botocore's for the CPU caches — in a real client call
each layer runs colder than in the tight loops of (3), which is why the layers add up to less
than the mock's real cost. "Glue" is ``handle_request`` minus the layers timed in (3).

Run: python benchmarks/profile_per_call.py [--quick] [--json]
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import boto3
from _common import AUTHORIZATION, REGION, best_of, interleaved, target, wire_body

from mock_kms import mock_kms
from mock_kms.api import HANDLERS
from mock_kms.api.context import RequestContext
from mock_kms.core import ciphertext, crypto
from mock_kms.core.ids import random_uuid
from mock_kms.core.states import check_state
from mock_kms.iam.authorize import authorize
from mock_kms.wire import protocol
from mock_kms.wire.validate import decode_request, validate

OPERATIONS = ("Encrypt", "Decrypt", "GenerateDataKey", "Sign")
LAYERS = (
    "botocore client side (the floor)",
    "mock_kms on top of the floor",
    "· interception and cache effects",
    "· handle_request() alone",
    "·· request id, credential → caller",
    "·· wire decode (JSON, base64)",
    "·· validate (botocore model)",
    "·· journal (record + last usage)",
    "·· dispatch (lock, due events, hooks, context)",
    "·· key lookup + key state",
    "·· authorize",
    "·· crypto",
    "·· rest of the handler",
    "·· encode (JSON, base64)",
    "·· glue (not timed separately)",
)


def _requests(mock: Any) -> dict[str, tuple[dict[str, Any], Any, Callable[[Any], Callable[[], Any]]]]:
    """Per operation: (request params, key, the crypto layer's call given a context)."""
    kms = mock.client("kms", region_name=REGION, aws_access_key_id="AKIABENCHMARK0000000")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    sign_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    here = mock.backend.region(mock.account, REGION)
    key, sign_key = here.keys[key_id], here.keys[sign_id]
    material, sign_material = key.material.current, sign_key.material.current
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x" * 64)["CiphertextBlob"]
    kms.sign(KeyId=sign_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")  # material made now
    plaintext = b"x" * 64

    def seal() -> bytes:
        return ciphertext.seal(key.arn, material.material_id, material.secret, plaintext, None)

    def unseal() -> bytes:
        return ciphertext.open_sealed(ciphertext.parse(blob), material.secret, None)

    def data_key() -> bytes:
        return ciphertext.seal(key.arn, material.material_id, material.secret, os.urandom(32), None)

    def sign() -> bytes:
        return crypto.sign(sign_material.private_key, "ECC_NIST_P256", "ECDSA_SHA_256", b"m", "RAW")

    return {
        "Encrypt": ({"KeyId": key_id, "Plaintext": plaintext}, key, seal),
        "Decrypt": ({"CiphertextBlob": blob}, key, unseal),
        "GenerateDataKey": ({"KeyId": key_id, "KeySpec": "AES_256"}, key, data_key),
        "Sign": ({"KeyId": sign_id, "Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256"}, sign_key, sign),
    }


def _layers(mock: Any, operation: str, params: dict[str, Any], key: Any, crypto_call: Callable[[], Any],
            number: int) -> dict[str, float]:  # fmt: skip
    body = wire_body(params)
    wire_target = target(operation)
    caller = mock.identify("AKIABENCHMARK0000000")
    backend = mock.backend
    here = backend.region(caller.account, REGION)
    decoded = decode_request(operation, protocol._parse_body(body))
    handler = HANDLERS[operation]
    journal = mock.journal
    lock: threading.RLock = backend.lock

    def context() -> RequestContext:
        return RequestContext(backend=backend, here=here, operation=operation, params=dict(decoded), caller=caller,
                              mock=mock)  # fmt: skip

    record = journal.begin(operation, REGION, caller, "x")
    record.params = decoded

    def dispatch() -> RequestContext:
        with lock:
            backend.run_due_events()
            mock.before_request(operation, record)
            return context()

    def journal_record() -> None:
        new = journal.begin(operation, REGION, caller, "x")
        new.params = decoded
        new.key = key
        journal.finish(new, None)

    ctx = context()
    key_id = params.get("KeyId", key.key_id)
    result = handler(context())
    timings = {
        "·· request id, credential → caller": best_of(
            lambda: (random_uuid(), mock.identify(protocol.parse_credential(AUTHORIZATION)[0])), number=number
        ),
        "·· wire decode (JSON, base64)": best_of(
            lambda: decode_request(operation, protocol._parse_body(body)), number=number
        ),
        "·· validate (botocore model)": best_of(lambda: validate(operation, decoded), number=number),
        "·· dispatch (lock, due events, hooks, context)": best_of(dispatch, number=number),
        "·· key lookup + key state": best_of(lambda: check_state(ctx.find_key(key_id), operation), number=number),
        "·· authorize": best_of(lambda: authorize(ctx, "kms:" + operation, key), number=number),
        "·· crypto": best_of(crypto_call, number=number),
        "·· encode (JSON, base64)": best_of(lambda: protocol._encode(result).encode(), number=number),
    }
    handler_total = best_of(lambda: handler(context()), number=number) - best_of(context, number=number)
    journal_seconds = best_of(journal_record, number=number)
    journal.clear()
    timings["·· journal (record + last usage)"] = journal_seconds
    inner = sum(timings[name] for name in ("·· key lookup + key state", "·· authorize", "·· crypto"))
    timings["·· rest of the handler"] = max(handler_total - inner, 0.0)
    handle_seconds = best_of(lambda: protocol.handle_request(mock, wire_target, AUTHORIZATION, body), number=number)
    journal.clear()
    timings["· handle_request() alone"] = handle_seconds
    timed = sum(value for name, value in timings.items() if name.startswith("·· "))
    timings["·· glue (not timed separately)"] = max(handle_seconds - timed, 0.0)
    return timings


def run(*, rounds: int = 20, batch: int = 100, number: int = 2000) -> dict[str, Any]:
    import bench_per_call

    results: dict[str, dict[str, float]] = {}
    with mock_kms() as mock:
        kms = boto3.client("kms", region_name=REGION)
        ours = bench_per_call._workload(kms, *bench_per_call._keys(kms))
        canned = {name: bench_per_call._as_wire(call()) for name, call in ours.items()}
        floor = bench_per_call._workload(bench_per_call._floor_client(canned), "k", "k")
        requests = _requests(mock)
        for operation in OPERATIONS:
            through = interleaved({"floor": floor[operation], "mock_kms": ours[operation]}, rounds=rounds, batch=batch)
            mock.calls.clear()
            params, key, crypto_call = requests[operation]
            layers = _layers(mock, operation, params, key, crypto_call, number)
            extra = through["mock_kms"]["best"] - through["floor"]["best"]
            layers["botocore client side (the floor)"] = through["floor"]["best"]
            layers["mock_kms on top of the floor"] = extra
            layers["· interception and cache effects"] = extra - layers["· handle_request() alone"]
            results[operation] = layers
    return {"operations": results}


def render(results: dict[str, Any]) -> str:
    operations = results["operations"]
    names = list(operations)
    lines = [
        "### Profile of the per-call path (µs per call)",
        "",
        (
            "Layers marked ·· are timed on their own in a tight loop (cache-hot: a lower bound of their cost inside a "
            "real call); see `benchmarks/profile_per_call.py` for exactly what each row calls."
        ),
        "",
        "| layer | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for layer in LAYERS:
        cells = [f"{operations[name][layer] * 1e6:.1f}" for name in names]
        label = f"**{layer}**" if not layer.startswith("·") else layer
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    from _common import emit, warm_cpu

    warm_cpu()
    quick = "--quick" in argv
    emit(run(rounds=6 if quick else 20, batch=40 if quick else 100, number=300 if quick else 2000), render, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
