"""dynamodb-encryption-sdk (the Python DynamoDB Encryption Client), unchanged, with its AWS
KMS materials provider. DynamoDB itself is a small in-process stand-in (``serve_locally``):
only KMS is under test.

The KMS encryption context this library sends carries the table name and the item's
primary key; KMS must refuse to unwrap an item's key under another item's primary key.
"""

from __future__ import annotations

import json

import botocore.session
import pytest
from boto3.dynamodb.types import Binary

from ._support import calls, serve_locally

pytest.importorskip("dynamodb_encryption_sdk")

from dynamodb_encryption_sdk.encrypted import CryptoConfig  # noqa: E402
from dynamodb_encryption_sdk.encrypted.client import EncryptedClient  # noqa: E402
from dynamodb_encryption_sdk.encrypted.item import decrypt_python_item, encrypt_python_item  # noqa: E402
from dynamodb_encryption_sdk.exceptions import UnwrappingError  # noqa: E402
from dynamodb_encryption_sdk.identifiers import CryptoAction  # noqa: E402
from dynamodb_encryption_sdk.material_providers.aws_kms import AwsKmsCryptographicMaterialsProvider  # noqa: E402
from dynamodb_encryption_sdk.structures import AttributeActions, EncryptionContext  # noqa: E402

TABLE = "orders"
_SESSION = botocore.session.Session()  # shared by the providers: loading the KMS model once


def provider(key_arn: str) -> AwsKmsCryptographicMaterialsProvider:
    return AwsKmsCryptographicMaterialsProvider(key_id=key_arn, botocore_session=_SESSION)


def _config(key_arn: str, partition_value: str) -> CryptoConfig:
    return CryptoConfig(
        materials_provider=provider(key_arn),
        encryption_context=EncryptionContext(
            table_name=TABLE, partition_key_name="pk", attributes={"pk": {"S": partition_value}}
        ),
        attribute_actions=AttributeActions(
            default_action=CryptoAction.ENCRYPT_AND_SIGN, attribute_actions={"pk": CryptoAction.SIGN_ONLY}
        ),
    )


def test_item_round_trip_binds_table_and_primary_key(mock, kms):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    item = {"pk": "order-1", "card": "4111-1111-1111-1111", "amount": 42}

    encrypted = encrypt_python_item(item, _config(key_arn, "order-1"))
    assert isinstance(encrypted["card"], Binary) and b"4111" not in encrypted["card"].value
    (generate,) = calls(mock, "GenerateDataKey")
    context = generate.params["EncryptionContext"]
    assert context["pk"] == "order-1" and context["*aws-kms-table*"] == TABLE
    assert generate.params["NumberOfBytes"] == 32

    assert decrypt_python_item(encrypted, _config(key_arn, "order-1")) == item
    (decrypt,) = calls(mock, "Decrypt")
    assert decrypt.params["EncryptionContext"] == context and decrypt.succeeded

    # The same ciphertext presented as another item's: KMS refuses to unwrap.
    with pytest.raises(UnwrappingError):
        decrypt_python_item(dict(encrypted, pk="order-2"), _config(key_arn, "order-2"))
    refused = calls(mock, "Decrypt")[-1]
    assert refused.params["EncryptionContext"]["pk"] == "order-2"
    assert refused.error_code == "InvalidCiphertextException"


def test_disabled_key_fails_unwrap(mock, kms):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    encrypted = encrypt_python_item({"pk": "a", "secret": "s"}, _config(key_arn, "a"))
    kms.disable_key(KeyId=key_arn)
    with pytest.raises(UnwrappingError):
        decrypt_python_item(encrypted, _config(key_arn, "a"))
    assert calls(mock, "Decrypt")[-1].error_message == f"{key_arn} is disabled."


class FakeDynamoDB:
    """Just enough DynamoDB (DescribeTable, PutItem, GetItem) for EncryptedClient."""

    def __init__(self) -> None:
        self.items: dict[str, dict] = {}

    def __call__(self, request):
        operation = request.headers["X-Amz-Target"].decode().split(".")[-1]
        body = json.loads(request.body or b"{}")
        if operation == "DescribeTable":
            table = {
                "TableName": body["TableName"],
                "TableStatus": "ACTIVE",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            }
            answer = {"Table": table}
        elif operation == "PutItem":
            self.items[body["Item"]["pk"]["S"]] = body["Item"]
            answer = {}
        elif operation == "GetItem":
            found = self.items.get(body["Key"]["pk"]["S"])
            answer = {"Item": found} if found else {}
        else:
            raise AssertionError(f"unexpected DynamoDB call {operation}")
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(answer).encode()


def test_encrypted_client_put_and_get(mock, kms):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    ddb = mock.client("dynamodb", "us-east-1")
    table = FakeDynamoDB()
    serve_locally(ddb, table)
    client = EncryptedClient(
        client=ddb,
        materials_provider=provider(key_arn),
        attribute_actions=AttributeActions(default_action=CryptoAction.ENCRYPT_AND_SIGN),
    )
    client.put_item(TableName=TABLE, Item={"pk": {"S": "order-9"}, "card": {"S": "5500-0000-0000-0004"}})
    stored = table.items["order-9"]
    assert "B" in stored["card"]  # encrypted at rest
    got = client.get_item(TableName=TABLE, Key={"pk": {"S": "order-9"}})["Item"]
    assert got["card"] == {"S": "5500-0000-0000-0004"}
    assert calls(mock, "GenerateDataKey")[-1].params["EncryptionContext"]["pk"] == "order-9"
    assert calls(mock, "Decrypt")[-1].succeeded
