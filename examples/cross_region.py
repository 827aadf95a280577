"""Disaster recovery across Regions with a multi-Region key.

* A single-Region key's ciphertext cannot be decrypted in another Region.
* A multi-Region primary in us-east-1 is replicated to eu-west-1: data encrypted in
  us-east-1 decrypts in eu-west-1 with the replica (same key ID, shared key material), and
  vice versa — each Region's key keeps its own policy, tags, aliases and state.
* Failover: UpdatePrimaryRegion makes eu-west-1 the primary.

Run: python examples/cross_region.py
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from mock_kms import mock_kms


def main() -> None:
    with mock_kms() as kms_mock:
        virginia = kms_mock.client("kms", region_name="us-east-1")
        ireland = kms_mock.client("kms", region_name="eu-west-1")

        # A single-Region key: its ciphertext is useless in another Region.
        regional = virginia.create_key(Description="regional")["KeyMetadata"]["KeyId"]
        blob = virginia.encrypt(KeyId=regional, Plaintext=b"stays home")["CiphertextBlob"]
        try:
            ireland.decrypt(CiphertextBlob=blob)
            raise AssertionError("a single-Region key's ciphertext decrypted in another Region")
        except ClientError as error:
            assert error.response["Error"]["Code"] == "AccessDeniedException"
            assert "because the resource does not exist in this Region" in error.response["Error"]["Message"]

        # A multi-Region key and its replica.
        key = virginia.create_key(MultiRegion=True, Description="orders")["KeyMetadata"]
        key_id = key["KeyId"]
        assert key_id.startswith("mrk-") and key["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
        replica = virginia.replicate_key(
            KeyId=key_id, ReplicaRegion="eu-west-1", Tags=[{"TagKey": "site", "TagValue": "dr"}]
        )["ReplicaKeyMetadata"]
        assert replica["KeyState"] == "Creating"  # Enabled from the next request on
        assert ireland.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
        ireland.create_alias(AliasName="alias/orders", TargetKeyId=key_id)  # aliases are per Region

        # Encrypt in Virginia, decrypt in Ireland (and back), with the encryption context.
        context = {"order": "42"}
        blob = virginia.encrypt(KeyId=key_id, Plaintext=b"order 42", EncryptionContext=context)["CiphertextBlob"]
        opened = ireland.decrypt(CiphertextBlob=blob, EncryptionContext=context)
        assert opened["Plaintext"] == b"order 42"
        assert opened["KeyId"] == f"arn:aws:kms:eu-west-1:123456789012:key/{key_id}"
        data_key = ireland.generate_data_key(KeyId="alias/orders", KeySpec="AES_256")
        assert virginia.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]

        # Each Region's key is managed on its own.
        assert ireland.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "site", "TagValue": "dr"}]
        assert virginia.list_resource_tags(KeyId=key_id)["Tags"] == []

        # Rotation is set on the primary and shared by the replica.
        virginia.enable_key_rotation(KeyId=key_id)
        assert ireland.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True

        # Failover: eu-west-1 becomes the primary Region.
        virginia.update_primary_region(KeyId=key_id, PrimaryRegion="eu-west-1")
        config = ireland.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
        assert config["MultiRegionKeyType"] == "PRIMARY"
        assert [replica["Region"] for replica in config["ReplicaKeys"]] == ["us-east-1"]
        assert ireland.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"] == b"order 42"
    print("cross-region example: ok")


if __name__ == "__main__":
    main()
