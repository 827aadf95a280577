"""aiobotocore (and aioboto3 where it installs) under ``mock_kms``.

aiobotocore's ``AioEndpoint._send`` is a coroutine and the response it returns must be
awaitable (``await http_response.content``); a mock that hands it botocore's synchronous
response fails with "object bytes can't be used in 'await' expression".
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import pytest

from mock_kms import mock_kms

from ._support import calls

aiobotocore_session = pytest.importorskip("aiobotocore.session")


def run(coroutine):
    return asyncio.run(coroutine)


async def _round_trip(region: str = "us-east-1") -> tuple[str, bytes, dict]:
    session = aiobotocore_session.get_session()
    async with session.create_client("kms", region_name=region) as client:
        key = (await client.create_key(Description="async"))["KeyMetadata"]
        encrypted = await client.encrypt(KeyId=key["KeyId"], Plaintext=b"async secret", EncryptionContext={"a": "1"})
        decrypted = await client.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], EncryptionContext={"a": "1"})
        return key["Arn"], decrypted["Plaintext"], decrypted


def test_encrypt_decrypt_with_aiobotocore(mock, no_network):
    arn, plaintext, decrypted = run(_round_trip())
    assert plaintext == b"async secret"
    assert decrypted["KeyId"] == arn and decrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert decrypted["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [r.operation for r in mock.calls] == ["CreateKey", "Encrypt", "Decrypt"]


def test_errors_are_parsed_as_modeled_exceptions(mock, no_network):
    async def scenario():
        session = aiobotocore_session.get_session()
        async with session.create_client("kms", region_name="us-east-1") as client:
            arn = (await client.create_key())["KeyMetadata"]["Arn"]
            blob = (await client.encrypt(KeyId=arn, Plaintext=b"x", EncryptionContext={"a": "1"}))["CiphertextBlob"]
            with pytest.raises(client.exceptions.InvalidCiphertextException) as bad_context:
                await client.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "2"})
            await client.disable_key(KeyId=arn)
            with pytest.raises(client.exceptions.DisabledException) as disabled:
                await client.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "1"})
            with pytest.raises(client.exceptions.NotFoundException) as missing:
                await client.describe_key(KeyId="alias/nothing-here")
            return arn, bad_context.value, disabled.value, missing.value

    arn, bad_context, disabled, missing = run(scenario())
    assert bad_context.response["Error"] == {"Code": "InvalidCiphertextException", "Message": ""}
    assert disabled.response["Error"] == {"Code": "DisabledException", "Message": f"{arn} is disabled."}
    assert disabled.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert missing.response["Error"]["Code"] == "NotFoundException"


def test_concurrent_async_calls_and_regions(mock):
    async def scenario():
        session = aiobotocore_session.get_session()
        async with session.create_client("kms", region_name="eu-west-1") as client:
            arn = (await client.create_key())["KeyMetadata"]["Arn"]
            results = await asyncio.gather(*(client.generate_data_key(KeyId=arn, KeySpec="AES_256") for _ in range(20)))
            plaintexts = await asyncio.gather(*(client.decrypt(CiphertextBlob=r["CiphertextBlob"]) for r in results))
            return arn, results, plaintexts

    arn, results, plaintexts = run(scenario())
    assert arn.startswith("arn:aws:kms:eu-west-1:")
    assert [p["Plaintext"] for p in plaintexts] == [r["Plaintext"] for r in results]
    assert len({r["Plaintext"] for r in results}) == 20
    assert len(calls(mock, "GenerateDataKey")) == 20


def test_decorated_coroutine_gets_a_fresh_mock():
    seen = []

    @mock_kms
    async def scenario():
        session = aiobotocore_session.get_session()
        async with session.create_client("kms", region_name="us-east-1") as client:
            seen.append(len((await client.list_keys())["Keys"]))
            await client.create_key()
            seen.append(len((await client.list_keys())["Keys"]))

    run(scenario())
    run(scenario())
    assert seen == [0, 1, 0, 1]


def test_patch_is_removed_when_the_mock_stops():
    from aiobotocore.endpoint import AioEndpoint

    original = AioEndpoint._send
    with mock_kms():
        assert AioEndpoint._send is not original
    assert AioEndpoint._send is original


def test_aiobotocore_imported_after_start_is_patched_and_not_imported_by_the_mock(tmp_path):
    """Cold start stays lean (the mock never imports aiobotocore), yet a later import is covered."""
    script = textwrap.dedent(
        """
        import asyncio, sys
        from mock_kms import mock_kms
        with mock_kms(region="us-east-1") as m:
            assert "aiobotocore" not in sys.modules, "the mock imported aiobotocore"
            from aiobotocore.session import get_session

            async def main():
                async with get_session().create_client("kms", region_name="us-east-1") as c:
                    arn = (await c.create_key())["KeyMetadata"]["Arn"]
                    blob = (await c.encrypt(KeyId=arn, Plaintext=b"late"))["CiphertextBlob"]
                    return (await c.decrypt(CiphertextBlob=blob))["Plaintext"]

            assert asyncio.run(main()) == b"late"
            assert [r.operation for r in m.calls] == ["CreateKey", "Encrypt", "Decrypt"]
        from aiobotocore.endpoint import AioEndpoint
        assert AioEndpoint._send.__qualname__ == "AioEndpoint._send", AioEndpoint._send
        print("ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_aioboto3_client_and_resource_session(mock):
    aioboto3 = pytest.importorskip("aioboto3")

    async def scenario():
        session = aioboto3.Session()
        async with session.client("kms", region_name="us-east-1") as client:
            arn = (await client.create_key())["KeyMetadata"]["Arn"]
            blob = (await client.encrypt(KeyId=arn, Plaintext=b"aioboto3"))["CiphertextBlob"]
            return arn, await client.decrypt(CiphertextBlob=blob)

    arn, decrypted = run(scenario())
    assert decrypted["Plaintext"] == b"aioboto3" and decrypted["KeyId"] == arn


def test_signatures_are_verified_for_aiobotocore(hermetic_aws_env, no_network):
    from mock_kms.mock import MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY

    async def scenario(secret: str) -> str:
        session = aiobotocore_session.get_session()
        async with session.create_client(
            "kms", region_name="us-east-1", aws_access_key_id=MOCK_ACCESS_KEY_ID, aws_secret_access_key=secret
        ) as client:
            try:
                return (await client.create_key())["KeyMetadata"]["KeyState"]
            except client.exceptions.ClientError as error:
                return error.response["Error"]["Code"]

    with mock_kms(verify_signatures=True):
        assert run(scenario(MOCK_SECRET_ACCESS_KEY)) == "Enabled"
        assert run(scenario("wrong")) == "InvalidSignatureException"
