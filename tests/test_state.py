"""Saved state (``kms_mock.save`` / ``mock_kms(state=...)``) and seed files (``mock_kms(seed=...)``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import textwrap
import types
from datetime import timedelta

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mock_kms import KmsMock, mock_kms
from mock_kms.seed import SeedError
from mock_kms.state import FORMAT, VERSION, StateError

ALLOW_KMS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
)
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


def _error(excinfo) -> tuple[str, str]:
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


# -- saved state ----------------------------------------------------------------------------
def _populate(m: KmsMock) -> dict:
    """Keys, material versions, aliases, tags, policies, grants, principals, a custom key store."""
    kms = m.client()
    facts: dict = {}
    role = m.iam.create_role("app", policies=[ALLOW_KMS])
    facts["role_credentials"] = role.credentials
    key = kms.create_key(Description="main", Tags=[{"TagKey": "team", "TagValue": "a"}])["KeyMetadata"]
    facts["key"] = key
    kms.create_alias(AliasName="alias/main", TargetKeyId=key["KeyId"])
    facts["old_blob"] = kms.encrypt(KeyId="alias/main", Plaintext=b"v1", EncryptionContext={"c": "1"})["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=100)
    facts["new_blob"] = kms.encrypt(KeyId="alias/main", Plaintext=b"v2")["CiphertextBlob"]
    facts["grant_id"] = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=role.arn, Operations=["Decrypt"])[
        "GrantId"
    ]

    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    facts["signing"] = signing
    facts["public_key"] = kms.get_public_key(KeyId=signing)["PublicKey"]
    mac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    facts["mac"] = mac
    facts["tag"] = kms.generate_mac(KeyId=mac, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]

    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "root",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )
    disabled = kms.create_key(Policy=policy, Description="off")["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)
    facts["disabled"], facts["policy"] = disabled, policy
    doomed = kms.create_key()["KeyMetadata"]["KeyId"]
    facts["doomed"] = doomed
    facts["deletion"] = kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)["DeletionDate"]

    eu = m.client(region_name="eu-west-1")
    facts["eu_key"] = eu.create_key(Description="eu")["KeyMetadata"]["KeyId"]
    facts["eu_blob"] = eu.encrypt(KeyId=facts["eu_key"], Plaintext=b"eu")["CiphertextBlob"]
    m.clock.advance(days=1)
    facts["clock_offset"] = m.clock.offset
    return facts


def _check(m: KmsMock, facts: dict) -> None:
    kms = m.client()
    key = facts["key"]
    assert kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "Encrypt"
    described = kms.describe_key(KeyId="alias/main")["KeyMetadata"]
    assert described == {**key, "CurrentKeyMaterialId": described["CurrentKeyMaterialId"]}
    assert described["CurrentKeyMaterialId"] != key["CurrentKeyMaterialId"]
    assert kms.decrypt(CiphertextBlob=facts["old_blob"], EncryptionContext={"c": "1"})["Plaintext"] == b"v1"
    assert kms.decrypt(CiphertextBlob=facts["new_blob"])["Plaintext"] == b"v2"
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "team", "TagValue": "a"}]
    rotation = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert rotation["KeyRotationEnabled"] and rotation["RotationPeriodInDays"] == 100
    assert len(kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]) == 1
    assert [g["GrantId"] for g in kms.list_grants(KeyId=key["KeyId"])["Grants"]] == [facts["grant_id"]]
    assert kms.get_public_key(KeyId=facts["signing"])["PublicKey"] == facts["public_key"]
    assert kms.verify_mac(KeyId=facts["mac"], Message=b"m", Mac=facts["tag"], MacAlgorithm="HMAC_SHA_256")["MacValid"]
    assert kms.describe_key(KeyId=facts["disabled"])["KeyMetadata"]["KeyState"] == "Disabled"
    assert kms.get_key_policy(KeyId=facts["disabled"], PolicyName="default")["Policy"] == facts["policy"]
    doomed = kms.describe_key(KeyId=facts["doomed"])["KeyMetadata"]
    assert doomed["KeyState"] == "PendingDeletion" and doomed["DeletionDate"] == facts["deletion"]
    eu = m.client(region_name="eu-west-1")
    assert eu.decrypt(CiphertextBlob=facts["eu_blob"])["Plaintext"] == b"eu"
    assert abs(m.clock.offset - facts["clock_offset"]) < timedelta(seconds=1)
    # The role's session credentials still work, and its grant with them.
    role = m.iam.get_role("app")
    assert role.credentials == facts["role_credentials"]
    assert role.client().decrypt(CiphertextBlob=facts["new_blob"])["Plaintext"] == b"v2"


def test_save_and_load_round_trip(tmp_path):
    path = tmp_path / "kms-state.json"
    with mock_kms() as m:
        facts = _populate(m)
        m.save(path)
    data = json.loads(path.read_text())
    assert data["format"] == FORMAT and data["version"] == VERSION
    with mock_kms(state=path) as m:
        _check(m, facts)
        # Timers come back too: the deletion happens when its date passes.
        m.clock.advance(days=7)
        with pytest.raises(ClientError) as excinfo:
            m.client().describe_key(KeyId=facts["doomed"])
        assert excinfo.value.response["Error"]["Code"] == "NotFoundException"
    with mock_kms() as m:  # and kms_mock.load() into a running mock
        m.client().create_key(Description="replaced by the load")
        m.load(path)
        _check(m, facts)
        assert len(m.client().list_keys()["Keys"]) == len(data["regions"][0]["keys"])


def test_state_option_on_the_decorator(tmp_path):
    path = tmp_path / "state.json"
    with mock_kms() as m:
        key_id = m.client().create_key(Description="from the file")["KeyMetadata"]["KeyId"]
        m.save(path)

    @mock_kms(state=path)
    def uses_saved_state():
        kms = KmsMock().client()  # any client: the decorated mock is active
        return kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"]

    assert uses_saved_state() == "from the file"
    assert uses_saved_state() == "from the file"  # every call starts from the file


def test_saved_state_decrypts_in_a_fresh_process(tmp_path):
    path = tmp_path / "fixture-state.json"
    with mock_kms() as m:
        kms = m.client()
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/fixture", TargetKeyId=key_id)
        blob = kms.encrypt(KeyId="alias/fixture", Plaintext=b"kept in a fixture", EncryptionContext={"app": "x"})[
            "CiphertextBlob"
        ]
        m.save(path)
    script = textwrap.dedent(
        """
        import base64, sys
        from mock_kms import mock_kms

        with mock_kms(state=sys.argv[1]) as m:
            kms = m.client("kms", region_name="us-east-1")
            answer = kms.decrypt(CiphertextBlob=base64.b64decode(sys.argv[2]), EncryptionContext={"app": "x"})
            print(answer["KeyId"], answer["Plaintext"].decode())
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [sys.executable, "-c", script, str(path), base64.b64encode(blob).decode()],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [f"arn:aws:kms:us-east-1:123456789012:key/{key_id}", "kept", "in", "a", "fixture"]


def test_imported_material_and_multi_region_keys_round_trip(tmp_path):
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    path = tmp_path / "state.json"
    material = os.urandom(32)
    with mock_kms() as m:
        kms = m.client()
        imported = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        params = kms.get_parameters_for_import(
            KeyId=imported, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        )
        oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
        kms.import_key_material(
            KeyId=imported,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=load_der_public_key(params["PublicKey"]).encrypt(material, oaep),
            ExpirationModel="KEY_MATERIAL_EXPIRES",
            ValidTo=m.clock.now() + timedelta(days=2),
        )
        imported_blob = kms.encrypt(KeyId=imported, Plaintext=b"imported")["CiphertextBlob"]
        primary = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
        kms.replicate_key(KeyId=primary, ReplicaRegion="eu-west-1")
        mrk_blob = kms.encrypt(KeyId=primary, Plaintext=b"everywhere")["CiphertextBlob"]
        m.save(path)
    with mock_kms(state=path) as m:
        kms = m.client()
        assert kms.decrypt(CiphertextBlob=imported_blob)["Plaintext"] == b"imported"
        metadata = kms.describe_key(KeyId=imported)["KeyMetadata"]
        assert metadata["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" and metadata["KeyState"] == "Enabled"
        # The mock's own ciphertext format, opened outside with the imported material.
        arn_length = imported_blob[1]
        header_end = 2 + arn_length + 32 + 12
        nonce = imported_blob[header_end - 12 : header_end]
        assert AESGCM(material).decrypt(nonce, imported_blob[header_end:], imported_blob[:header_end]) == b"imported"
        eu = m.client(region_name="eu-west-1")
        assert eu.decrypt(CiphertextBlob=mrk_blob)["Plaintext"] == b"everywhere"
        # One material set for the two keys of the multi-Region set.
        us_key = m.backend.region("123456789012", "us-east-1").keys[primary]
        eu_key = m.backend.region("123456789012", "eu-west-1").keys[primary]
        assert us_key.material is eu_key.material
        # The expiry timer came back with the state.
        m.clock.advance(days=3)
        assert kms.describe_key(KeyId=imported)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_loading_a_file_from_a_newer_mock_kms_is_refused(tmp_path):
    path = tmp_path / "newer.json"
    path.write_text(json.dumps({"format": FORMAT, "version": VERSION + 1, "mock_kms_version": "9.0"}))
    with pytest.raises(StateError) as excinfo:
        KmsMock(state=path).start()
    assert str(excinfo.value) == (
        f"{path}: written by a newer mock_kms (state format version {VERSION + 1}, from mock_kms 9.0); "
        f"this mock_kms reads versions up to {VERSION}: upgrade mock_kms"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a mock_kms state file (invalid JSON: "),
        ('{"keys": []}', 'not a mock_kms state file (expected "format": "mock_kms/state")'),
        (json.dumps({"format": FORMAT, "version": "1"}), "bad state file version '1'"),
    ],
)
def test_bad_files_are_refused_with_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(StateError) as excinfo:
        mock_kms().load(path)
    assert str(excinfo.value).startswith(f"{path}: {message}")


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(StateError, match="no such state file"):
        mock_kms(state=tmp_path / "nope.json").start()


def test_a_bad_entry_is_named_and_loading_it_changes_nothing(tmp_path):
    path = tmp_path / "state.json"
    with mock_kms() as m:
        kms = m.client()
        kms.create_key(Description="one")
        kms.create_key(Description="two")
        m.save(path)
    data = json.loads(path.read_text())
    data["regions"][0]["keys"][1]["spec"] = "AES_512"
    path.write_text(json.dumps(data))
    with mock_kms() as m:
        kms = m.client()
        kept = kms.create_key(Description="kept")["KeyMetadata"]["KeyId"]
        offset = m.clock.advance(days=2) and m.clock.offset
        with pytest.raises(StateError) as excinfo:
            m.load(path)
        key_id = data["regions"][0]["keys"][1]["key_id"]
        assert str(excinfo.value) == f"{path}: regions[0].keys[{key_id}]: unknown key spec 'AES_512'"
        assert [k["KeyId"] for k in kms.list_keys()["Keys"]] == [kept]
        assert m.clock.offset == offset


def test_saving_is_atomic_and_readable(tmp_path):
    path = tmp_path / "state.json"
    with mock_kms() as m:
        key_id = m.client().create_key(Description="x")["KeyMetadata"]["KeyId"]
        m.client().generate_data_key(KeyId=key_id, KeySpec="AES_256")
        m.save(path)
        m.save(path)  # overwrite
    assert sorted(os.listdir(tmp_path)) == ["state.json"]
    data = json.loads(path.read_text())
    key = data["regions"][0]["keys"][0]
    assert key["description"] == "x" and key["spec"] == "SYMMETRIC_DEFAULT" and key["state"] == "Enabled"
    material = data["material_sets"][key["material"]]["versions"][0]
    assert len(base64.b64decode(material["secret"]["$bytes"])) == 32


# -- seed files -------------------------------------------------------------------------------
SYMMETRIC_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
SECRET = bytes(range(32))
HMAC_SECRET = bytes(range(100, 140))


@pytest.fixture(scope="module")
def ec_private_key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem(private_key) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def toml_seed(tmp_path, ec_private_key):
    path = tmp_path / "kms-seed.toml"
    pem = _pem(ec_private_key)
    path.write_text(
        textwrap.dedent(
            f"""
            Region = "eu-west-1"

            [[Keys]]
            KeyId = "{SYMMETRIC_ID}"
            Description = "orders"
            KeyMaterial = "{SECRET.hex()}"
            Aliases = ["alias/orders"]
            Tags = {{ team = "payments" }}
            EnableKeyRotation = true
            RotationPeriodInDays = 180
            CreationDate = 2024-01-02T03:04:05Z

            [[Keys]]
            KeyId = "0987dcba-09fe-87dc-65ba-ab0987654321"
            KeySpec = "ECC_NIST_P256"
            KeyUsage = "SIGN_VERIFY"
            KeyMaterial = '''
            """
        )
        + pem
        + textwrap.dedent(
            f"""'''

            [[Keys]]
            KeyId = "11111111-2222-3333-4444-555555555555"
            KeySpec = "HMAC_256"
            KeyMaterial = "{HMAC_SECRET.hex()}"
            Enabled = false

            [[Aliases]]
            AliasName = "alias/legacy"
            TargetKeyId = "{SYMMETRIC_ID}"

            [[Principals]]
            Type = "Role"
            Name = "orders-service"
            Policies = [{{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "kms:*", Resource = "*" }}] }}]
            """
        )
    )
    return path


@pytest.mark.skipif(sys.version_info < (3, 11), reason="TOML seed files need tomllib (Python 3.11+)")
def test_toml_seed_declares_keys_with_fixed_ids_and_material(toml_seed, ec_private_key):
    with mock_kms(seed=toml_seed) as m:
        kms = m.client(region_name="eu-west-1")
        key = kms.describe_key(KeyId="alias/orders")["KeyMetadata"]
        assert key["Arn"] == f"arn:aws:kms:eu-west-1:123456789012:key/{SYMMETRIC_ID}"
        assert key["Description"] == "orders" and key["KeyState"] == "Enabled"
        assert key["CreationDate"].isoformat() == "2024-01-02T03:04:05+00:00"
        assert kms.list_resource_tags(KeyId=SYMMETRIC_ID)["Tags"] == [{"TagKey": "team", "TagValue": "payments"}]
        assert kms.get_key_rotation_status(KeyId=SYMMETRIC_ID)["RotationPeriodInDays"] == 180
        assert kms.describe_key(KeyId="alias/legacy")["KeyMetadata"]["KeyId"] == SYMMETRIC_ID
        usage = kms.get_key_last_usage(KeyId=SYMMETRIC_ID)
        assert usage["TrackingStartDate"] > usage["KeyCreationDate"]  # tracking began when seeded

        # The declared material is the key's: opened outside with AES-GCM.
        blob = kms.encrypt(KeyId="alias/orders", Plaintext=b"order 42")["CiphertextBlob"]
        header_end = 2 + blob[1] + 32 + 12
        assert (
            AESGCM(SECRET).decrypt(blob[header_end - 12 : header_end], blob[header_end:], blob[:header_end])
            == b"order 42"
        )

        signature = kms.sign(
            KeyId="0987dcba-09fe-87dc-65ba-ab0987654321", Message=b"m", SigningAlgorithm="ECDSA_SHA_256"
        )
        ec_private_key.public_key().verify(signature["Signature"], b"m", ec.ECDSA(hashes.SHA256()))

        mac_key = kms.describe_key(KeyId="11111111-2222-3333-4444-555555555555")["KeyMetadata"]
        assert mac_key["KeyState"] == "Disabled" and mac_key["KeyUsage"] == "GENERATE_VERIFY_MAC"
        kms.enable_key(KeyId=mac_key["KeyId"])
        mac = kms.generate_mac(KeyId=mac_key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
        assert mac == hmac.new(HMAC_SECRET, b"m", hashlib.sha256).digest()

        role = m.iam.get_role("orders-service")
        assert role.client(region_name="eu-west-1").decrypt(CiphertextBlob=blob)["Plaintext"] == b"order 42"

    # Deterministic: another mock seeded from the same file decrypts it.
    with mock_kms(seed=toml_seed) as again:
        assert again.client(region_name="eu-west-1").decrypt(CiphertextBlob=blob)["Plaintext"] == b"order 42"


def test_json_seed_with_material_versions(tmp_path):
    old, new = os.urandom(32), os.urandom(32)

    def seed(materials) -> str:
        path = tmp_path / f"seed-{len(materials)}.json"
        path.write_text(json.dumps({"Keys": [{"KeyId": SYMMETRIC_ID, "KeyMaterial": materials}]}))
        return str(path)

    with mock_kms(seed=seed([old.hex()])) as m:
        old_blob = m.client().encrypt(KeyId=SYMMETRIC_ID, Plaintext=b"old")["CiphertextBlob"]
    m = mock_kms()
    with m:
        m.load_seed(seed([old.hex(), new.hex()]))
        kms = m.client()
        assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"old"
        new_blob = kms.encrypt(KeyId=SYMMETRIC_ID, Plaintext=b"new")["CiphertextBlob"]
        header_end = 2 + new_blob[1] + 32 + 12
        assert (
            AESGCM(new).decrypt(new_blob[header_end - 12 : header_end], new_blob[header_end:], new_blob[:header_end])
            == b"new"
        )
        assert len(kms.list_key_rotations(KeyId=SYMMETRIC_ID)["Rotations"]) == 1


def test_seeds_are_idempotent_and_conflicts_are_errors(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(
        json.dumps({"Keys": [{"KeyId": SYMMETRIC_ID, "KeyMaterial": SECRET.hex(), "Aliases": ["alias/a"]}]})
    )
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"Keys": [{"KeyId": SYMMETRIC_ID, "KeyMaterial": os.urandom(32).hex()}]}))
    with mock_kms(seed=path) as m:
        m.load_seed(path)  # again: nothing changes
        assert len(m.client().list_keys()["Keys"]) == 1
        with pytest.raises(SeedError) as excinfo:
            m.load_seed(other)
        assert str(excinfo.value) == (
            f"{other}: Keys[0]: key arn:aws:kms:us-east-1:123456789012:key/{SYMMETRIC_ID} already exists "
            "with other key material or key spec"
        )


def test_state_and_seed_together(tmp_path):
    """As ``mock-kms serve --state s.json --seed seed.json`` does across restarts."""
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"Keys": [{"KeyId": SYMMETRIC_ID, "KeyMaterial": SECRET.hex()}]}))
    state = tmp_path / "state.json"
    with mock_kms(seed=seed) as m:
        m.client().create_key(Description="made at run time")
        m.save(state)
    with mock_kms(state=state, seed=seed) as m:
        assert len(m.client().list_keys()["Keys"]) == 2


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (
            {"Keys": [{"KeyId": "nope"}]},
            "Keys[0].KeyId: a key ID (e.g. 1234abcd-12ab-34cd-56ef-1234567890ab) is required, not 'nope'",
        ),
        (
            {"Keys": [{"KeyId": SYMMETRIC_ID, "KeyMaterial": "abcd"}]},
            "Keys[0].KeyMaterial: SYMMETRIC_DEFAULT key material is 32 bytes (64+ hex digits), not 2 bytes",
        ),
        ({"Keys": [{"KeyId": SYMMETRIC_ID, "KeyMaterial": "zz" * 32}]}, "Keys[0].KeyMaterial: not hexadecimal"),
        (
            {"Keys": [{"KeyId": SYMMETRIC_ID, "KeySpec": "RSA_2048"}]},
            "Keys[0].KeyUsage: required for RSA_2048 (one of ENCRYPT_DECRYPT, SIGN_VERIFY)",
        ),
        ({"Keys": [{"KeyId": SYMMETRIC_ID, "Colour": "red"}]}, "Keys[0]: unknown field(s) Colour; known: "),
        (
            {"Aliases": [{"AliasName": "alias/x", "TargetKeyId": SYMMETRIC_ID}]},
            f"Aliases[0]: alias/x targets key {SYMMETRIC_ID}, which is not declared in 123456789012/us-east-1",
        ),
        (
            {"Keys": [{"KeyId": SYMMETRIC_ID, "Aliases": ["alias/aws/s3"]}]},
            "Keys[0].Aliases[0]: alias/aws/s3: the alias/aws/ prefix is reserved for AWS managed keys",
        ),
        ({"Principals": [{"Type": "Robot", "Name": "r"}]}, "Principals[0].Type: one of Group, User, Role, not 'Robot'"),
    ],
)
def test_bad_seeds_name_the_entry_and_add_nothing(tmp_path, seed, message):
    path = tmp_path / "seed.json"
    seed = {
        "Keys": [{"KeyId": "aaaaaaaa-2222-3333-4444-555555555555"}, *seed.get("Keys", [])],
        **{k: v for k, v in seed.items() if k != "Keys"},
    }
    message = message.replace("Keys[0]", "Keys[1]")
    path.write_text(json.dumps(seed))
    with mock_kms() as m:
        with pytest.raises(SeedError) as excinfo:
            m.load_seed(path)
        assert str(excinfo.value).startswith(f"{path}: {message}")
        assert m.client().list_keys()["Keys"] == []


def test_asymmetric_material_must_match_the_key_spec(tmp_path, ec_private_key):
    path = tmp_path / "seed.json"
    path.write_text(
        json.dumps(
            {
                "Keys": [
                    {
                        "KeyId": SYMMETRIC_ID,
                        "KeySpec": "ECC_NIST_P384",
                        "KeyUsage": "SIGN_VERIFY",
                        "KeyMaterial": _pem(ec_private_key),
                    }
                ]
            }
        )
    )
    with pytest.raises(
        SeedError, match=r"Keys\[0\]\.KeyMaterial: The key material does not match key spec ECC_NIST_P384"
    ):
        mock_kms().load_seed(path)


def test_toml_needs_python_3_11(tmp_path, monkeypatch):
    from mock_kms import seed as seed_module

    path = tmp_path / "seed.toml"
    path.write_text("")
    monkeypatch.setattr(seed_module, "sys", types.SimpleNamespace(version_info=(3, 10, 12)))
    with pytest.raises(
        SeedError, match=r"TOML seed files need Python 3\.11\+ \(tomllib\); use a JSON seed file on 3\.10"
    ):
        mock_kms().load_seed(path)


def test_seeded_multi_region_key_decrypts_in_its_replica(tmp_path):
    path = tmp_path / "seed.json"
    key_id = "mrk-" + "ab" * 16
    path.write_text(
        json.dumps(
            {
                "Keys": [
                    {
                        "KeyId": key_id,
                        "MultiRegion": True,
                        "ReplicaRegions": ["ap-southeast-2"],
                        "KeyMaterial": SECRET.hex(),
                    }
                ]
            }
        )
    )
    with mock_kms(seed=path) as m:
        blob = m.client().encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
        replica = m.client(region_name="ap-southeast-2")
        assert replica.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
        config = replica.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
        assert config["MultiRegionKeyType"] == "REPLICA"
        assert config["PrimaryKey"]["Region"] == "us-east-1"


def test_seeded_external_key(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(
        json.dumps(
            {
                "Keys": [
                    {"KeyId": SYMMETRIC_ID, "Origin": "EXTERNAL", "KeyMaterial": SECRET.hex()},
                    {"KeyId": "aaaaaaaa-2222-3333-4444-555555555555", "Origin": "EXTERNAL"},
                ]
            }
        )
    )
    with mock_kms(seed=path) as m:
        kms = m.client()
        metadata = kms.describe_key(KeyId=SYMMETRIC_ID)["KeyMetadata"]
        assert metadata["KeyState"] == "Enabled" and metadata["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
        assert (
            kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=SYMMETRIC_ID, Plaintext=b"x")["CiphertextBlob"])["Plaintext"]
            == b"x"
        )
        pending = kms.describe_key(KeyId="aaaaaaaa-2222-3333-4444-555555555555")["KeyMetadata"]
        assert pending["KeyState"] == "PendingImport"
        with pytest.raises(ClientError) as excinfo:
            m.client(config=NO_RETRIES).encrypt(KeyId=pending["KeyId"], Plaintext=b"x")
        assert _error(excinfo)[0] == "KMSInvalidStateException"
