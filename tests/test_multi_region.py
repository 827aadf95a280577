"""Multi-Region keys: CreateKey MultiRegion, ReplicateKey, UpdatePrimaryRegion, shared
material and rotation, independent policy/tags/description/aliases, deletion of a primary
with replicas (kms_spec.md §7.1, §7.4; aws_responses.md "Multi-region")."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from mock_kms.core.keys import default_key_policy

ACCOUNT = "123456789012"
PRIMARY = "us-east-1"
SECOND = "eu-west-1"
THIRD = "ap-southeast-1"


def arn(region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"


def error(excinfo: pytest.ExceptionInfo) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


@pytest.fixture
def clients(kms_mock):
    return {region: kms_mock.client("kms", region_name=region) for region in (PRIMARY, SECOND, THIRD)}


@pytest.fixture
def mrk(clients) -> str:
    return clients[PRIMARY].create_key(MultiRegion=True, Description="test replicated key")["KeyMetadata"]["KeyId"]


def replicate(clients, key_id: str, region: str = SECOND, **kwargs) -> dict:
    response = clients[PRIMARY].replicate_key(KeyId=key_id, ReplicaRegion=region, **kwargs)
    clients[PRIMARY].list_keys()  # any request: the replica leaves Creating
    return response


# -- CreateKey -----------------------------------------------------------------------------


def test_create_multi_region_key_is_a_primary_with_an_mrk_id(clients):
    metadata = clients[PRIMARY].create_key(MultiRegion=True)["KeyMetadata"]
    assert re.fullmatch(r"mrk-[0-9a-f]{32}", metadata["KeyId"])
    assert metadata["MultiRegion"] is True
    assert metadata["MultiRegionConfiguration"] == {
        "MultiRegionKeyType": "PRIMARY",
        "PrimaryKey": {"Arn": arn(PRIMARY, metadata["KeyId"]), "Region": PRIMARY},
        "ReplicaKeys": [],
    }


def test_single_region_key_has_no_multi_region_configuration(clients):
    metadata = clients[PRIMARY].create_key(MultiRegion=False)["KeyMetadata"]
    assert metadata["MultiRegion"] is False
    assert "MultiRegionConfiguration" not in metadata
    assert not metadata["KeyId"].startswith("mrk-")


# -- ReplicateKey --------------------------------------------------------------------------


def test_replicate_key_response_matches_aws(clients, mrk):
    response = clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion=THIRD)
    assert set(response) == {"ReplicaKeyMetadata", "ReplicaPolicy", "ResponseMetadata"}  # no ReplicaTags
    metadata = response["ReplicaKeyMetadata"]
    assert metadata["KeyState"] == "Creating"
    assert metadata["Enabled"] is False
    assert metadata["Description"] == ""  # not copied from the primary
    assert "CurrentKeyMaterialId" not in metadata
    assert metadata["Arn"] == arn(THIRD, mrk)
    assert metadata["KeyId"] == mrk
    assert metadata["KeyManager"] == "CUSTOMER"
    assert metadata["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert metadata["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert metadata["Origin"] == "AWS_KMS"
    assert metadata["MultiRegionConfiguration"] == {
        "MultiRegionKeyType": "REPLICA",
        "PrimaryKey": {"Arn": arn(PRIMARY, mrk), "Region": PRIMARY},
        "ReplicaKeys": [{"Arn": arn(THIRD, mrk), "Region": THIRD}],
    }
    assert response["ReplicaPolicy"] == default_key_policy(ACCOUNT)


def test_replica_becomes_enabled_on_the_next_request_with_the_primarys_material(clients, mrk):
    replicate(clients, mrk)
    replica = clients[SECOND].describe_key(KeyId=mrk)["KeyMetadata"]
    primary = clients[PRIMARY].describe_key(KeyId=mrk)["KeyMetadata"]
    assert replica["KeyState"] == "Enabled" and replica["Enabled"] is True
    assert replica["CurrentKeyMaterialId"] == primary["CurrentKeyMaterialId"]
    assert primary["Description"] == "test replicated key" and replica["Description"] == ""
    assert primary["MultiRegionConfiguration"]["ReplicaKeys"] == [{"Arn": arn(SECOND, mrk), "Region": SECOND}]


def test_primary_lists_replicas_in_creation_order(clients, mrk):
    replicate(clients, mrk, SECOND)
    replicate(clients, mrk, THIRD)
    expected = [{"Arn": arn(SECOND, mrk), "Region": SECOND}, {"Arn": arn(THIRD, mrk), "Region": THIRD}]
    for region in (PRIMARY, SECOND, THIRD):
        config = clients[region].describe_key(KeyId=mrk)["KeyMetadata"]["MultiRegionConfiguration"]
        assert config["ReplicaKeys"] == expected
        assert config["PrimaryKey"] == {"Arn": arn(PRIMARY, mrk), "Region": PRIMARY}
        assert config["MultiRegionKeyType"] == ("PRIMARY" if region == PRIMARY else "REPLICA")


def test_replica_is_creating_until_the_delay_has_passed(kms_mock, clients, mrk):
    kms_mock.multi_region_delay = timedelta(seconds=30)
    clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion=SECOND)
    assert clients[SECOND].describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Creating"
    with pytest.raises(ClientError) as excinfo:
        clients[SECOND].encrypt(KeyId=mrk, Plaintext=b"x")
    assert error(excinfo) == ("KMSInvalidStateException", f"{arn(SECOND, mrk)} is creating.")
    kms_mock.clock.advance(seconds=31)
    assert clients[SECOND].describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Enabled"


@pytest.mark.parametrize("delay", [timedelta(seconds=30), 30, 30.0])
def test_multi_region_delay_is_a_keyword_of_mock_kms(delay):
    from mock_kms import mock_kms

    @mock_kms(multi_region_delay=delay)  # a decorator: each call gets a fresh mock with the option
    def scenario() -> None:
        primary, second = (boto3_client(region) for region in (PRIMARY, SECOND))
        key_id = primary.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
        primary.replicate_key(KeyId=key_id, ReplicaRegion=SECOND)
        assert second.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Creating"

    scenario()
    with mock_kms(multi_region_delay=delay) as kms_mock:
        assert kms_mock.multi_region_delay == timedelta(seconds=30)
        assert "multi_region_delay" not in kms_mock.backend.extras


def boto3_client(region: str):
    import boto3

    return boto3.client("kms", region_name=region)


def test_replica_has_its_own_policy_tags_and_description(clients, mrk):
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )
    response = replicate(
        clients, mrk, Policy=policy, Description="replica", Tags=[{"TagKey": "site", "TagValue": "dublin"}]
    )
    assert response["ReplicaPolicy"] == policy
    assert response["ReplicaTags"] == [{"TagKey": "site", "TagValue": "dublin"}]
    assert response["ReplicaKeyMetadata"]["Description"] == "replica"
    primary, replica = clients[PRIMARY], clients[SECOND]
    assert replica.get_key_policy(KeyId=mrk)["Policy"] == policy
    assert primary.get_key_policy(KeyId=mrk)["Policy"] == default_key_policy(ACCOUNT)
    assert primary.list_resource_tags(KeyId=mrk)["Tags"] == []

    primary.tag_resource(KeyId=mrk, Tags=[{"TagKey": "site", "TagValue": "virginia"}])
    replica.update_key_description(KeyId=mrk, Description="changed")
    assert replica.list_resource_tags(KeyId=mrk)["Tags"] == [{"TagKey": "site", "TagValue": "dublin"}]
    assert primary.describe_key(KeyId=mrk)["KeyMetadata"]["Description"] == "test replicated key"


def test_replica_key_state_and_aliases_are_independent(clients, mrk):
    replicate(clients, mrk)
    primary, replica = clients[PRIMARY], clients[SECOND]
    replica.create_alias(AliasName="alias/shared-name", TargetKeyId=mrk)
    with pytest.raises(ClientError) as excinfo:
        primary.describe_key(KeyId="alias/shared-name")
    assert error(excinfo) == (
        "NotFoundException",
        f"Alias arn:aws:kms:{PRIMARY}:{ACCOUNT}:alias/shared-name is not found.",
    )
    assert replica.describe_key(KeyId="alias/shared-name")["KeyMetadata"]["Arn"] == arn(SECOND, mrk)

    replica.disable_key(KeyId=mrk)
    assert primary.describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Enabled"
    with pytest.raises(ClientError) as excinfo:
        replica.encrypt(KeyId=mrk, Plaintext=b"x")
    assert error(excinfo) == ("DisabledException", f"{arn(SECOND, mrk)} is disabled.")
    primary.encrypt(KeyId=mrk, Plaintext=b"x")


def test_replica_grants_are_independent(clients, mrk):
    replicate(clients, mrk)
    grantee = f"arn:aws:iam::{ACCOUNT}:role/app"
    clients[PRIMARY].create_grant(KeyId=mrk, GranteePrincipal=grantee, Operations=["Decrypt"])
    assert len(clients[PRIMARY].list_grants(KeyId=mrk)["Grants"]) == 1
    assert clients[SECOND].list_grants(KeyId=mrk)["Grants"] == []


def test_ciphertext_decrypts_across_the_set_in_both_directions(clients, mrk):
    replicate(clients, mrk)
    primary, replica = clients[PRIMARY], clients[SECOND]
    context = {"purpose": "cross-region"}
    blob = primary.encrypt(KeyId=mrk, Plaintext=b"from virginia", EncryptionContext=context)["CiphertextBlob"]
    for key_id in (None, mrk, arn(SECOND, mrk)):
        extra = {"KeyId": key_id} if key_id else {}
        result = replica.decrypt(CiphertextBlob=blob, EncryptionContext=context, **extra)
        assert result["Plaintext"] == b"from virginia"
        assert result["KeyId"] == arn(SECOND, mrk)

    data_key = replica.generate_data_key(KeyId=mrk, KeySpec="AES_256")
    back = primary.decrypt(CiphertextBlob=data_key["CiphertextBlob"])
    assert back["Plaintext"] == data_key["Plaintext"]
    assert back["KeyId"] == arn(PRIMARY, mrk)

    with pytest.raises(ClientError) as excinfo:
        replica.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "other"})
    assert error(excinfo) == ("InvalidCiphertextException", "")


def test_reencrypt_from_a_replica_to_a_local_key(clients, mrk):
    replicate(clients, mrk)
    blob = clients[PRIMARY].encrypt(KeyId=mrk, Plaintext=b"move me")["CiphertextBlob"]
    local = clients[SECOND].create_key()["KeyMetadata"]["KeyId"]
    moved = clients[SECOND].re_encrypt(CiphertextBlob=blob, DestinationKeyId=local)
    assert moved["SourceKeyId"] == arn(SECOND, mrk)
    assert clients[SECOND].decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == b"move me"


def test_asymmetric_multi_region_key_signs_in_one_region_and_verifies_in_another(clients):
    key_id = clients[PRIMARY].create_key(MultiRegion=True, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")[
        "KeyMetadata"
    ]["KeyId"]
    replicate(clients, key_id)
    signature = clients[PRIMARY].sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    verified = clients[SECOND].verify(KeyId=key_id, Message=b"m", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")
    assert verified["SignatureValid"] is True
    assert (
        clients[SECOND].get_public_key(KeyId=key_id)["PublicKey"]
        == clients[PRIMARY].get_public_key(KeyId=key_id)["PublicKey"]
    )


def test_replicating_a_single_region_key_is_unsupported(clients):
    key_id = clients[PRIMARY].create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        clients[PRIMARY].replicate_key(KeyId=key_id, ReplicaRegion=SECOND)
    assert error(excinfo) == (
        "UnsupportedOperationException",
        f"{arn(PRIMARY, key_id)} is not a multi-region primary key.",
    )


def test_replicating_a_replica_is_unsupported(clients, mrk):
    replicate(clients, mrk)
    with pytest.raises(ClientError) as excinfo:
        clients[SECOND].replicate_key(KeyId=mrk, ReplicaRegion=THIRD)
    # Recorded AWS text [aws_errors.json ReplicateKey].
    assert error(excinfo) == ("UnsupportedOperationException", f"{arn(SECOND, mrk)} is not a multi-region primary key.")


def test_replicating_into_a_region_that_holds_the_key_already_exists(clients, mrk):
    replicate(clients, mrk)
    for region in (SECOND, PRIMARY):
        with pytest.raises(ClientError) as excinfo:
            clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion=region)
        assert error(excinfo) == ("AlreadyExistsException", f"Key '{arn(region, mrk)}' already exists")
    # Still so while the replica there is pending deletion [M-doc:ReplicateKey].
    clients[SECOND].schedule_key_deletion(KeyId=mrk, PendingWindowInDays=7)
    with pytest.raises(ClientError) as excinfo:
        clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion=SECOND)
    assert error(excinfo)[0] == "AlreadyExistsException"


def test_replicating_a_disabled_primary_fails(clients, mrk):
    clients[PRIMARY].disable_key(KeyId=mrk)
    with pytest.raises(ClientError) as excinfo:
        clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion=SECOND)
    assert error(excinfo) == ("DisabledException", f"{arn(PRIMARY, mrk)} is disabled.")


def test_replica_region_must_be_in_the_same_partition(clients, mrk):
    with pytest.raises(ClientError) as excinfo:
        clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion="cn-north-1")
    assert error(excinfo)[0] == "ValidationException"


def test_replicate_key_by_unknown_id_is_not_found(clients):
    missing = "mrk-" + "0" * 32
    with pytest.raises(ClientError) as excinfo:
        clients[PRIMARY].replicate_key(KeyId=missing, ReplicaRegion=SECOND)
    assert error(excinfo) == ("NotFoundException", f"Key '{arn(PRIMARY, missing)}' does not exist")


def test_primary_key_id_is_not_found_in_a_region_without_a_replica(clients, mrk):
    with pytest.raises(ClientError) as excinfo:
        clients[SECOND].describe_key(KeyId=mrk)
    # Recorded [aws_errors.json: "multi-region primary key id queried in replica region before ReplicateKey"].
    assert error(excinfo) == ("NotFoundException", f"Key '{arn(SECOND, mrk)}' does not exist")


# -- imported key material -----------------------------------------------------------------


def _import_material(client, key_id: str, material: bytes) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    params = client.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    public_key = serialization.load_der_public_key(params["PublicKey"])
    wrapped = public_key.encrypt(
        material, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    )
    client.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrapped,
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )


def test_replica_of_an_external_key_is_pending_import(clients):
    import os

    primary = clients[PRIMARY]
    key_id = primary.create_key(MultiRegion=True, Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        primary.replicate_key(KeyId=key_id, ReplicaRegion=SECOND)
    assert error(excinfo) == ("KMSInvalidStateException", f"{arn(PRIMARY, key_id)} is pending import.")

    material = os.urandom(32)
    _import_material(primary, key_id, material)
    response = replicate(clients, key_id)
    assert response["ReplicaKeyMetadata"]["KeyState"] == "Creating"
    assert response["ReplicaKeyMetadata"]["Origin"] == "EXTERNAL"
    replica = clients[SECOND]
    assert replica.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as excinfo:
        replica.encrypt(KeyId=key_id, Plaintext=b"x")
    assert error(excinfo) == ("KMSInvalidStateException", f"{arn(SECOND, key_id)} is pending import.")

    _import_material(replica, key_id, material)  # the same material, into the replica
    assert replica.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    blob = primary.encrypt(KeyId=key_id, Plaintext=b"imported")["CiphertextBlob"]
    assert replica.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"


# -- UpdatePrimaryRegion -------------------------------------------------------------------


def test_update_primary_region_swaps_primary_and_replica(clients, mrk):
    replicate(clients, mrk, SECOND)
    replicate(clients, mrk, THIRD)
    assert (
        clients[PRIMARY].update_primary_region(KeyId=mrk, PrimaryRegion=SECOND)["ResponseMetadata"]["HTTPStatusCode"]
        == 200
    )
    for region in (PRIMARY, SECOND, THIRD):
        config = clients[region].describe_key(KeyId=mrk)["KeyMetadata"]["MultiRegionConfiguration"]
        assert config["PrimaryKey"] == {"Arn": arn(SECOND, mrk), "Region": SECOND}
        assert config["MultiRegionKeyType"] == ("PRIMARY" if region == SECOND else "REPLICA")
        assert {entry["Region"] for entry in config["ReplicaKeys"]} == {PRIMARY, THIRD}
    # Only the new primary can replicate now.
    with pytest.raises(ClientError) as excinfo:
        clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion="us-west-2")
    assert error(excinfo) == (
        "UnsupportedOperationException",
        f"{arn(PRIMARY, mrk)} is not a multi-region primary key.",
    )
    clients[SECOND].replicate_key(KeyId=mrk, ReplicaRegion="us-west-2")


def test_update_primary_region_keys_are_updating_for_a_moment(kms_mock, clients, mrk):
    replicate(clients, mrk)
    kms_mock.multi_region_delay = timedelta(seconds=10)
    clients[PRIMARY].update_primary_region(KeyId=mrk, PrimaryRegion=SECOND)
    assert clients[PRIMARY].describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Updating"
    assert clients[SECOND].describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Updating"
    # Usable cryptographically, but not enabled/disabled (key-state table [15]).
    clients[PRIMARY].encrypt(KeyId=mrk, Plaintext=b"still works")
    with pytest.raises(ClientError) as excinfo:
        clients[PRIMARY].disable_key(KeyId=mrk)
    assert error(excinfo) == ("KMSInvalidStateException", f"{arn(PRIMARY, mrk)} is updating.")
    kms_mock.clock.advance(seconds=11)
    assert clients[PRIMARY].describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Enabled"


def test_update_primary_region_errors(clients, mrk):
    replicate(clients, mrk)
    with pytest.raises(ClientError) as excinfo:
        clients[PRIMARY].update_primary_region(KeyId=mrk, PrimaryRegion=THIRD)
    assert error(excinfo) == ("NotFoundException", f"Key '{arn(THIRD, mrk)}' does not exist")
    with pytest.raises(ClientError) as excinfo:
        clients[SECOND].update_primary_region(KeyId=mrk, PrimaryRegion=PRIMARY)
    assert error(excinfo) == ("UnsupportedOperationException", f"{arn(SECOND, mrk)} is not a multi-region primary key.")
    with pytest.raises(ClientError) as excinfo:
        clients[PRIMARY].update_primary_region(KeyId=mrk, PrimaryRegion=PRIMARY)
    assert error(excinfo)[0] == "ValidationException"
    single = clients[PRIMARY].create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        clients[PRIMARY].update_primary_region(KeyId=single, PrimaryRegion=SECOND)
    assert error(excinfo) == (
        "UnsupportedOperationException",
        f"{arn(PRIMARY, single)} is not a multi-region primary key.",
    )
    clients[SECOND].disable_key(KeyId=mrk)
    with pytest.raises(ClientError) as excinfo:
        clients[PRIMARY].update_primary_region(KeyId=mrk, PrimaryRegion=SECOND)
    assert error(excinfo) == ("DisabledException", f"{arn(SECOND, mrk)} is disabled.")


# -- rotation ------------------------------------------------------------------------------


def test_rotation_is_set_on_the_primary_and_shared_with_replicas(kms_mock, clients, mrk):
    replicate(clients, mrk)
    primary, replica = clients[PRIMARY], clients[SECOND]
    with pytest.raises(ClientError) as excinfo:
        replica.enable_key_rotation(KeyId=mrk)
    assert error(excinfo) == ("UnsupportedOperationException", f"{arn(SECOND, mrk)} is not a multi-region primary key.")
    primary.enable_key_rotation(KeyId=mrk, RotationPeriodInDays=90)
    status = replica.get_key_rotation_status(KeyId=mrk)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90

    old_blob = replica.encrypt(KeyId=mrk, Plaintext=b"before rotation")["CiphertextBlob"]
    before = primary.describe_key(KeyId=mrk)["KeyMetadata"]["CurrentKeyMaterialId"]
    kms_mock.clock.advance(days=91)
    after_primary = primary.describe_key(KeyId=mrk)["KeyMetadata"]["CurrentKeyMaterialId"]
    after_replica = replica.describe_key(KeyId=mrk)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert after_primary != before and after_replica == after_primary
    assert primary.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"before rotation"
    new_blob = primary.encrypt(KeyId=mrk, Plaintext=b"after")["CiphertextBlob"]
    assert replica.decrypt(CiphertextBlob=new_blob)["KeyMaterialId"] == after_primary


# -- deletion ------------------------------------------------------------------------------


def test_deleting_a_primary_with_replicas_waits_for_them(kms_mock, clients, mrk):
    replicate(clients, mrk)
    primary, replica = clients[PRIMARY], clients[SECOND]
    response = primary.schedule_key_deletion(KeyId=mrk, PendingWindowInDays=10)
    assert response["KeyState"] == "PendingReplicaDeletion"
    assert response["PendingWindowInDays"] == 10
    assert "DeletionDate" not in response
    metadata = primary.describe_key(KeyId=mrk)["KeyMetadata"]
    assert metadata["KeyState"] == "PendingReplicaDeletion" and metadata["PendingDeletionWindowInDays"] == 10
    assert "DeletionDate" not in metadata
    with pytest.raises(ClientError) as excinfo:
        primary.encrypt(KeyId=mrk, Plaintext=b"x")
    assert error(excinfo) == ("KMSInvalidStateException", f"{arn(PRIMARY, mrk)} is pending replica deletion.")
    with pytest.raises(ClientError) as excinfo:
        primary.replicate_key(KeyId=mrk, ReplicaRegion=THIRD)
    assert error(excinfo)[0] == "KMSInvalidStateException"
    replica.encrypt(KeyId=mrk, Plaintext=b"replicas are unaffected")

    kms_mock.clock.advance(days=60)  # indefinitely, while a replica exists
    assert primary.describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "PendingReplicaDeletion"

    replica.schedule_key_deletion(KeyId=mrk, PendingWindowInDays=7)
    replica_deleted_at = replica.describe_key(KeyId=mrk)["KeyMetadata"]["DeletionDate"]
    kms_mock.clock.advance(days=7, seconds=1)
    with pytest.raises(ClientError) as excinfo:
        replica.describe_key(KeyId=mrk)
    assert error(excinfo) == ("NotFoundException", f"Key '{arn(SECOND, mrk)}' does not exist")
    metadata = primary.describe_key(KeyId=mrk)["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion"
    assert metadata["DeletionDate"] == replica_deleted_at + timedelta(days=10)
    assert metadata["MultiRegionConfiguration"]["ReplicaKeys"] == []

    kms_mock.clock.advance(days=10)
    with pytest.raises(ClientError) as excinfo:
        primary.describe_key(KeyId=mrk)
    assert error(excinfo)[0] == "NotFoundException"


def test_a_deleted_replica_can_be_replicated_again(kms_mock, clients, mrk):
    replicate(clients, mrk)
    clients[SECOND].schedule_key_deletion(KeyId=mrk, PendingWindowInDays=7)
    kms_mock.clock.advance(days=8)
    assert clients[PRIMARY].describe_key(KeyId=mrk)["KeyMetadata"]["MultiRegionConfiguration"]["ReplicaKeys"] == []
    replicate(clients, mrk)
    assert clients[SECOND].describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Enabled"


def test_cancelling_a_primarys_pending_replica_deletion(kms_mock, clients, mrk):
    replicate(clients, mrk)
    clients[PRIMARY].schedule_key_deletion(KeyId=mrk, PendingWindowInDays=7)
    clients[PRIMARY].cancel_key_deletion(KeyId=mrk)
    assert clients[PRIMARY].describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Disabled"
    clients[SECOND].schedule_key_deletion(KeyId=mrk, PendingWindowInDays=7)
    kms_mock.clock.advance(days=8)
    assert clients[PRIMARY].describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Disabled"


def test_primary_without_replicas_is_deleted_normally(clients, mrk):
    response = clients[PRIMARY].schedule_key_deletion(KeyId=mrk, PendingWindowInDays=7)
    assert response["KeyState"] == "PendingDeletion" and "DeletionDate" in response


def test_a_replica_saved_while_creating_settles_after_loading(kms_mock, clients, mrk, tmp_path):
    kms_mock.multi_region_delay = timedelta(hours=1)
    clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion=SECOND)
    path = tmp_path / "state.json"
    kms_mock.save(path)
    kms_mock.load(path)
    assert clients[SECOND].describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Enabled"


def test_switching_the_primary_back_while_updating_restores_the_original_states(kms_mock, clients, mrk):
    replicate(clients, mrk)
    clients[SECOND].disable_key(KeyId=mrk)
    clients[SECOND].enable_key(KeyId=mrk)
    kms_mock.multi_region_delay = timedelta(seconds=10)
    clients[PRIMARY].update_primary_region(KeyId=mrk, PrimaryRegion=SECOND)
    clients[SECOND].update_primary_region(KeyId=mrk, PrimaryRegion=PRIMARY)  # allowed while Updating
    kms_mock.clock.advance(seconds=11)
    for region in (PRIMARY, SECOND):
        assert clients[region].describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Enabled"
    config = clients[PRIMARY].describe_key(KeyId=mrk)["KeyMetadata"]["MultiRegionConfiguration"]
    assert config["MultiRegionKeyType"] == "PRIMARY"
