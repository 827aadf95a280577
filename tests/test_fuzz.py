"""A seeded fuzz of the wire entry: every operation of the model, with null members, odd unicode
and wrong-typed values, against live keys of several specs. No request may answer
KMSInternalException (the mock's own bug), no call may raise, every answer is AWS-shaped JSON, and
whatever the requests stored can be saved and loaded again.

Bounded for CI (a few seconds). To run longer or elsewhere in the input space::

    MOCK_KMS_FUZZ_SECONDS=300 MOCK_KMS_FUZZ_SEED=7 pytest tests/test_fuzz.py
"""

from __future__ import annotations

import base64
import json
import os
import random
import time
from typing import Any

from mock_kms import mock_kms
from mock_kms.wire.model import service_model
from mock_kms.wire.protocol import handle

MODEL = service_model()
OPERATIONS = sorted(MODEL.operation_names)
SECONDS = float(os.environ.get("MOCK_KMS_FUZZ_SECONDS", "3"))
SEED = int(os.environ.get("MOCK_KMS_FUZZ_SEED", "18"))
REQUESTS_PER_WORLD = 300  # then a fresh mock (deletions and disabled keys pile up)

ODD_STRINGS = [
    "\udc80", "\ud800", "a\udfffb", "\x00", "\u202e", "\ufeff", "\U0001f600" * 3, "ǅ", "İ", "ß", "e\u0301",
    "a" * 5000, "${aws:username}", "*", "?", "*a*a*a*a*a*a*b", "alias/\udc80", "alias/aws/x", "",
    "arn:aws:kms:us-east-1:123456789012:key/\udc80", "arn:aws:kms:us-east-1:123456789012:alias/x",
    "arn:aws:iam::123456789012:root", "null", "{}", "[]", "\\", '"', "\n\r\t",
]
WRONG_TYPES: list[Any] = [None, 0, -1, 10**30, 1.5, float("nan"), 1e308, True, False, [], {}, [None], {"a": None},
                          ["x", 1], {"\udc80": "\udc80"}]


class World:
    """A mock with live keys of several specs and material to point requests at."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.context = mock_kms()
        self.mock = self.context.__enter__()
        kms = self.mock.client()
        specs = [
            ({}, "symmetric"),
            ({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}, "rsa"),
            ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}, "ecc"),
            ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"}, "agreement"),
            ({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, "hmac"),
            ({"Origin": "EXTERNAL"}, "external"),
            ({"MultiRegion": True}, "multi-region"),
            ({"KeySpec": "ML_DSA_44", "KeyUsage": "SIGN_VERIFY"}, "ml-dsa"),
            ({"KeySpec": "ML_KEM_768", "KeyUsage": "ENCAPSULATE_DECAPSULATE"}, "ml-kem"),
            ({"KeySpec": "ECC_NIST_EDWARDS25519", "KeyUsage": "SIGN_VERIFY"}, "ed25519"),
        ]
        self.key_ids: list[str] = []
        for params, _ in specs:
            self.key_ids.append(kms.create_key(**params)["KeyMetadata"]["KeyId"])
        symmetric, rsa, ecc, agreement, hmac_key = self.key_ids[:5]
        kms.create_alias(AliasName="alias/fuzz", TargetKeyId=symmetric)
        arns = [kms.describe_key(KeyId=k)["KeyMetadata"]["Arn"] for k in self.key_ids]
        self.identifiers = [*self.key_ids, *arns, "alias/fuzz", "alias/aws/s3", "alias/missing"]
        self.blobs = [
            kms.encrypt(KeyId=symmetric, Plaintext=b"x")["CiphertextBlob"],
            kms.encrypt(KeyId=symmetric, Plaintext=b"x", EncryptionContext={"a": "b"})["CiphertextBlob"],
            kms.encrypt(KeyId=rsa, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"],
            kms.sign(KeyId=ecc, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"],
            kms.generate_mac(KeyId=hmac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"],
            kms.get_public_key(KeyId=agreement)["PublicKey"],
            kms.get_parameters_for_import(
                KeyId=self.key_ids[5], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
            )["ImportToken"],
            b"", b"\x00" * 32, os.urandom(300),
        ]
        for key_id in self.key_ids[7:]:  # public keys of the newer specs, where cryptography has them
            try:
                self.blobs.append(kms.get_public_key(KeyId=key_id)["PublicKey"])
            except kms.exceptions.UnsupportedOperationException:
                pass
        grant = kms.create_grant(KeyId=symmetric, GranteePrincipal="arn:aws:iam::123456789012:root",
                                 Operations=["Decrypt"], RetiringPrincipal="arn:aws:iam::123456789012:root")
        self.grant_ids = [grant["GrantId"], "0" * 64]
        self.grant_tokens = [grant["GrantToken"], "not-a-token", "\udc80"]
        self.requests = 0

    def close(self) -> None:
        self.context.__exit__(None, None, None)

    # -- values ---------------------------------------------------------------------------
    def plausible(self, name: str, shape: Any, depth: int = 0) -> Any:
        rng = self.rng
        kind = shape.type_name
        if rng.random() < 0.08:
            return self.abusive(shape)
        if kind == "string":
            enum = getattr(shape, "enum", None)
            if enum and rng.random() < 0.8:
                return rng.choice(enum)
            if name.endswith("KeyId") or name in ("KeyId", "TargetKeyId"):
                return rng.choice(self.identifiers)
            if name == "AliasName":
                return rng.choice(["alias/fuzz", "alias/new-" + str(rng.randrange(100)), "alias/\udc80", "alias/aws/x"])
            if name == "GrantId":
                return rng.choice(self.grant_ids)
            if name == "GrantToken":
                return rng.choice(self.grant_tokens)
            if name == "Policy":
                return self.policy()
            if name.endswith("Principal"):
                return rng.choice(["arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:role/\udc80", "*"])
            return rng.choice(ODD_STRINGS + ["fuzz", "us-west-2", "eu-west-1"])
        if kind in ("integer", "long"):
            low, high = shape.metadata.get("min", -5), shape.metadata.get("max", 5000)
            return rng.choice([low, high, rng.randint(low, high), low - 1, high + 1])
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "blob":
            return rng.choice(self.blobs)
        if kind == "timestamp":
            return rng.choice([time.time() + 86400, 0, -1, 1e12, time.time()])
        if kind == "map":
            return {rng.choice(ODD_STRINGS + ["a"]): rng.choice(ODD_STRINGS + ["b"]) for _ in range(rng.randint(0, 3))}
        if kind == "list":
            if depth > 3:
                return []
            return [self.plausible(name, shape.member, depth + 1) for _ in range(rng.randint(0, 3))]
        if kind == "structure":
            if depth > 3:
                return {}
            return self.structure(shape, depth + 1)
        return None

    def abusive(self, shape: Any) -> Any:
        rng = self.rng
        if shape.type_name == "string" and rng.random() < 0.5:
            return rng.choice(ODD_STRINGS)
        return rng.choice(WRONG_TYPES)

    def structure(self, shape: Any, depth: int = 0) -> dict[str, Any]:
        rng = self.rng
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            if name in shape.required_members or rng.random() < 0.4:
                out[name] = None if rng.random() < 0.05 else self.plausible(name, member, depth)
        return out

    def policy(self) -> str:
        rng = self.rng
        statement = {
            "Effect": "Allow",
            "Principal": {"AWS": rng.choice(["arn:aws:iam::123456789012:root", "*", "\udc80"])},
            "Action": rng.choice(["kms:*", "kms:\udc80", ["kms:Encrypt", None]]),
            "Resource": rng.choice(["*", ["*"], 5]),
        }
        if rng.random() < 0.5:
            operator = rng.choice(["StringLike", "ArnLike", "StringEquals", "NumericLessThan", "DateGreaterThan",
                                   "IpAddress", "Bool", "ForAnyValue:StringLike", "StringLikeIfExists"])
            statement["Condition"] = {operator: {"kms:EncryptionContext:a": rng.choice(ODD_STRINGS + [None, 1, []])}}
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    # -- requests -------------------------------------------------------------------------
    def request(self, operation: str) -> dict[str, Any]:
        shape = MODEL.operation_model(operation).input_shape
        params = self.structure(shape) if shape is not None else {}
        if shape is not None and self.rng.random() < 0.3:  # one member of any kind, wrong
            name = self.rng.choice(list(shape.members))
            params[name] = self.abusive(shape.members[name])
        return params


def _wire(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def test_fuzz_every_operation(tmp_path):
    rng = random.Random(SEED)
    deadline = time.monotonic() + SECONDS
    failures: list[str] = []
    sent = 0
    worlds = 0
    order: list[str] = []
    while time.monotonic() < deadline and len(failures) < 10:
        world = World(rng)
        worlds += 1
        try:
            for _ in range(REQUESTS_PER_WORLD):
                if time.monotonic() >= deadline:
                    break
                if not order:  # every operation once per round, in a seeded order
                    order = rng.sample(OPERATIONS, len(OPERATIONS))
                operation = order.pop()
                params = world.request(operation)
                body = json.dumps(_wire(params)).encode()
                region = rng.choice(["us-east-1", "eu-west-1"])
                headers = {
                    "X-Amz-Target": f"TrentService.{operation}",
                    "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/{region}/kms/aws4_request, "
                                     "Signature=x",
                }
                try:
                    response = handle(world.mock, headers, body)
                    payload = json.loads(response.body)
                except Exception as error:  # handle() must never raise
                    failures.append(f"{operation} {body[:300]!r}: raised {error!r}")
                    continue
                sent += 1
                if response.status != 200 and (
                    payload.get("__type") == "KMSInternalException" or set(payload) != {"__type", "message"}
                ):
                    failures.append(f"{operation} {body[:300]!r}: {response.status} {payload}")
            # Whatever the requests stored can be saved and loaded again.
            path = tmp_path / f"world-{worlds}.json"
            try:
                world.mock.save(path)
                with mock_kms(state=path):
                    pass
            except Exception as error:
                failures.append(f"save/load after fuzzing: {error!r}")
        finally:
            world.close()
    assert not failures, f"seed {SEED}:\n" + "\n".join(failures)
    assert sent >= min(200, SECONDS * 50), f"only {sent} requests in {SECONDS} s"
