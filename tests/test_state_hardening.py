"""Saved state under abuse: whatever a request stores can be saved; a bad or corrupted file is a
StateError and leaves the mock exactly as it was; a file that loads answers no request with
KMSInternalException.

Set MOCK_KMS_STATE_FUZZ=all to try every corruption of the sample file (default: a seeded sample).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import random
from datetime import timedelta

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_kms import mock_kms
from mock_kms.state import StateError, checksum, dump_state, restore_state

LONE = "\udc80"
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


def _files(directory) -> list[str]:
    return sorted(os.listdir(directory))


# -- saving ------------------------------------------------------------------------------------
def test_whatever_a_request_stores_can_be_saved_and_loaded(tmp_path):
    path = tmp_path / "state.json"
    with mock_kms() as m:
        kms = m.client()
        key = kms.create_key(Description="d" + LONE, Tags=[{"TagKey": "t" + LONE, "TagValue": "\ud800"}])
        key_id = key["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/x", TargetKeyId=key_id)
        policy = json.loads(kms.get_key_policy(KeyId=key_id)["Policy"])
        policy["Statement"][0]["Sid"] = "s" + LONE
        kms.put_key_policy(KeyId=key_id, Policy=json.dumps(policy))
        m.save(path)
    assert _files(tmp_path) == ["state.json"]
    with mock_kms(state=path) as m:
        kms = m.client()
        assert kms.describe_key(KeyId="alias/x")["KeyMetadata"]["Description"] == "d" + LONE
        assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "t" + LONE, "TagValue": "\ud800"}]
        assert json.loads(kms.get_key_policy(KeyId=key_id)["Policy"])["Statement"][0]["Sid"] == "s" + LONE


def test_plain_unicode_is_still_written_as_utf8(tmp_path):
    path = tmp_path / "state.json"
    with mock_kms() as m:
        m.client().create_key(Description="café ✓")
        m.save(path)
    assert "café ✓" in path.read_text(encoding="utf-8")


def test_a_failed_save_is_a_state_error_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "taken"
    target.mkdir()  # a directory where the file should go: os.replace fails
    with mock_kms() as m:
        m.client().create_key()
        with pytest.raises(StateError, match="cannot write the state file"):
            m.save(target)
    assert _files(tmp_path) == ["taken"] and _files(target) == []


# -- refused files ------------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    """A saved state with two keys (one with a grant and rotation), and its parsed document."""
    path = tmp_path / "state.json"
    with mock_kms() as m:
        kms = m.client()
        first = kms.create_key(Description="one")["KeyMetadata"]["KeyId"]
        kms.create_grant(KeyId=first, GranteePrincipal="arn:aws:iam::123456789012:root", Operations=["Decrypt"])
        kms.enable_key_rotation(KeyId=first)
        kms.encrypt(KeyId=first, Plaintext=b"x")  # material is made on first use
        second = kms.create_key(Description="two")["KeyMetadata"]["KeyId"]
        kms.schedule_key_deletion(KeyId=second, PendingWindowInDays=7)
        m.save(path)
    return path, json.loads(path.read_text())


def _write(path, data, *, keep_checksum: bool = False) -> None:
    data = dict(data)
    if keep_checksum:
        data["checksum"] = checksum(data)
    else:
        data.pop("checksum", None)
    path.write_text(json.dumps(data))


def _refused_and_unchanged(path, message: str | None = None) -> StateError:
    """Load ``path`` into a live mock: it must raise StateError and change nothing."""
    with mock_kms() as m:
        kms = m.client()
        kept = kms.create_key(Description="kept")["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=kept, Plaintext=b"x")["CiphertextBlob"]
        m.clock.advance(days=2)
        offset = m.clock.offset
        with pytest.raises(StateError) as caught:
            m.load(path)
        assert [k["KeyId"] for k in kms.list_keys()["Keys"]] == [kept]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
        assert m.clock.offset == offset
    if message is not None:
        assert message in str(caught.value)
    return caught.value


def test_deeply_nested_json_is_a_state_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100000)
    _refused_and_unchanged(path, "nested too deeply")
    with mock_kms() as m, pytest.raises(StateError, match="nested too deeply"):
        nested: list = []
        for _ in range(100000):
            nested = [nested]
        restore_state(m, {"format": "mock_kms/state", "version": 1, "backend_extras": {"x": nested}})


@pytest.mark.parametrize(
    ("field", "value"),
    # (A null ARN is absent: the key's ARN is made from its id, account and region.)
    [(f, v) for f in ("key_id", "arn", "account", "region") for v in (["a"], {"a": 1}, 5, None) if (f, v) != ("arn", None)],
)
def test_wrong_typed_ids_are_state_errors(saved, field, value):
    path, data = saved
    data = copy.deepcopy(data)
    data["regions"][0]["keys"][0][field] = value
    _write(path, data)
    _refused_and_unchanged(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(clock_offset_seconds=1e300), "clock_offset_seconds: 1e+300 is not a finite number"),
        (lambda d: d.update(clock_offset_seconds=float("nan")), "clock_offset_seconds: nan is not a finite number"),
        (lambda d: d["regions"][0]["keys"][1].update(pending_window_days="7"), "pending_window_days must be"),
        (lambda d: d["regions"][0]["keys"][1].update(pending_window_days=400), "not between 7 and 30"),
        (lambda d: d["regions"][0]["keys"][0].update(extras=[]), "extras must be dict"),
        (lambda d: d["regions"][0]["keys"][0].update(tags={"a": 1}), "tags must be dict[str, str]"),
        (lambda d: d["regions"][0]["keys"][0].update(tags=["a"]), "tags must be dict[str, str]"),
        (lambda d: d["regions"][0]["keys"][0].update(state="Melting"), "state 'Melting' is not one of"),
        (lambda d: d["regions"][0]["keys"][0].update(state=3), "state must be str"),
        (lambda d: d["regions"][0]["keys"][0].update(creation_date="yesterday"), "creation_date must be datetime"),
        (lambda d: d["regions"][0]["keys"][0].update(arn="arn:aws:kms:us-east-1:123456789012:key/other"),
         "is not the key's ARN"),
        (lambda d: d["regions"][0]["keys"][0].update(grants={"g": 1}), "grants[g] is not a grant"),
        (lambda d: d["regions"][0]["keys"][0].update(grants=[]), "grants must be dict"),
        (lambda d: d["material_sets"][0].update(rotation_period_days="365"), "rotation_period_days must be"),
        (lambda d: d["material_sets"][0].update(current_index=True), "current_index must be int"),
        (lambda d: d["material_sets"][0]["versions"][0].update(created=17), "created must be datetime"),
    ],
)
def test_bad_entries_are_refused_before_anything_changes(saved, change, message):
    path, data = saved
    data = copy.deepcopy(data)
    change(data)
    _write(path, data)
    _refused_and_unchanged(path, message)


def test_a_wrong_typed_grant_field_is_refused(saved):
    path, data = saved
    data = copy.deepcopy(data)
    grant = next(iter(data["regions"][0]["keys"][0]["grants"].values()))
    grant["attributes"]["operations"] = "Decrypt"
    _write(path, data)
    _refused_and_unchanged(path, "operations must be tuple[str, ...]")


def test_a_failing_apply_puts_the_previous_state_back(saved):
    """A feature hook that fails after the swap: the load is undone, StateError."""
    path, _ = saved
    with mock_kms() as m:
        kept = m.client().create_key()["KeyMetadata"]["KeyId"]
        extras_before = dict(m.backend.extras)

        def broken(backend):
            raise RuntimeError("feature hook failed")

        m.backend.add_hook("on_state_loaded", broken)
        with pytest.raises(StateError, match="feature hook failed.*the mock is unchanged"):
            m.load(path)
        assert [k["KeyId"] for k in m.client().list_keys()["Keys"]] == [kept]
        assert m.backend.extras.keys() == extras_before.keys()


# -- the checksum --------------------------------------------------------------------------------
def test_a_flipped_byte_in_key_material_is_detected(saved):
    path, data = saved
    text = path.read_text()
    secret = next(v["secret"]["$bytes"] for s in data["material_sets"] for v in s["versions"] if v["secret"])
    raw = bytearray(base64.b64decode(secret))
    raw[5] ^= 0x01
    path.write_text(text.replace(secret, base64.b64encode(bytes(raw)).decode()))
    error = _refused_and_unchanged(path, "checksum mismatch")
    assert str(error).startswith(f"{path}: the file is corrupted or was changed after it was saved")


def test_files_without_a_checksum_still_load(saved):
    """Files written before the checksum (or edited on purpose, the member removed) load."""
    path, data = saved
    assert data["checksum"].startswith("sha256:") and len(data["checksum"]) == 71
    _write(path, {**data, "regions": [{**data["regions"][0], "keys": data["regions"][0]["keys"][:1]}]})
    with mock_kms(state=path) as m:
        assert len(m.client().list_keys()["Keys"]) == 1


def test_dump_and_restore_round_trip_without_a_file():
    with mock_kms() as m:
        key_id = m.client().create_key(Description="x")["KeyMetadata"]["KeyId"]
        data = dump_state(m)
    assert "checksum" not in data  # the file's member, added by save_state
    with mock_kms() as m:
        restore_state(m, json.loads(json.dumps(data)))
        assert m.client().describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "x"


# -- corrupted files: refused, or they work --------------------------------------------------------
WRONG_VALUES = [None, 1, -1, 1.5, True, "x", "", [], {}, ["x"], {"x": 1}, {"$datetime": "x"}, {"$bytes": 5}]


def _leaves(value, path=()):
    """Every path into the document (containers and scalars)."""
    yield path
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))


def _set(document, path, value):
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def _exercise(m) -> list[str]:
    """Every read a test would make after loading, plus a few writes; the KMSInternalException seen."""
    seen: list[str] = []
    for region in ("us-east-1", "eu-west-1"):
        kms = m.client(region_name=region, config=NO_RETRIES)
        calls = [("list_keys", {}), ("list_aliases", {})]
        try:
            key_ids = [k["KeyId"] for k in kms.list_keys()["Keys"]]
        except ClientError:
            key_ids = []
        for key_id in key_ids:
            calls += [
                ("describe_key", {"KeyId": key_id}),
                ("list_grants", {"KeyId": key_id}),
                ("list_resource_tags", {"KeyId": key_id}),
                ("get_key_policy", {"KeyId": key_id}),
                ("get_key_rotation_status", {"KeyId": key_id}),
                ("list_key_rotations", {"KeyId": key_id}),
                ("get_key_last_usage", {"KeyId": key_id}) if hasattr(kms, "get_key_last_usage") else ("list_keys", {}),
                ("encrypt", {"KeyId": key_id, "Plaintext": b"x"}),
                ("generate_data_key", {"KeyId": key_id, "KeySpec": "AES_256"}),
                ("cancel_key_deletion", {"KeyId": key_id}),
                ("rotate_key_on_demand", {"KeyId": key_id}),
                ("tag_resource", {"KeyId": key_id, "Tags": [{"TagKey": "k", "TagValue": "v"}]}),
                ("schedule_key_deletion", {"KeyId": key_id, "PendingWindowInDays": 7}),
            ]
        for name, params in calls:
            try:
                getattr(kms, name)(**params)
            except ClientError as error:
                if error.response["Error"]["Code"] == "KMSInternalException":
                    seen.append(f"{name}: {error.response['Error']['Message']}")
        m.clock.advance(days=400)  # timers: deletions and rotations fire
        try:
            kms.list_keys()
        except ClientError as error:
            seen.append(f"after the clock moved: {error.response['Error']}")
    return seen


@pytest.fixture
def rich(tmp_path):
    """A saved state with most of what a file holds: a role and its session, a user in a group,
    a grant with constraints, an alias, tags, imported material that expires, a multi-Region
    replica, a CloudHSM key store and a key in it, a pending deletion, rotation."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    path = tmp_path / "rich.json"
    with mock_kms() as m:
        kms = m.client()
        role = m.iam.create_role("app", policies=[json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]})])
        key = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "a"}])["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/main", TargetKeyId=key)
        kms.create_grant(KeyId=key, GranteePrincipal=role.arn, Operations=["Decrypt", "Encrypt"], Name="g",
                         Constraints={"EncryptionContextSubset": {"a": "b"}})
        kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
        role.client().encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"a": "b"})
        kms.rotate_key_on_demand(KeyId=key)
        imported = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        params = kms.get_parameters_for_import(
            KeyId=imported, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
        oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
        kms.import_key_material(
            KeyId=imported, ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=load_der_public_key(params["PublicKey"]).encrypt(os.urandom(32), oaep),
            ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=m.clock.now() + timedelta(days=2))
        primary = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
        kms.replicate_key(KeyId=primary, ReplicaRegion="eu-west-1")
        group = m.iam.create_group("team", policies=[json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Describe*", "Resource": "*"}]})])
        m.iam.create_user("dev", groups=[group], tags={"team": "a"})
        cluster = m.custom_key_stores.add_cloudhsm_cluster("cluster-abcdefghijk")
        store = kms.create_custom_key_store(
            CustomKeyStoreName="hsm", CloudHsmClusterId=cluster.cluster_id,
            TrustAnchorCertificate=cluster.trust_anchor_certificate, KeyStorePassword="kmsuser-password",
        )["CustomKeyStoreId"]
        kms.connect_custom_key_store(CustomKeyStoreId=store)
        kms.describe_custom_key_stores(CustomKeyStoreId=store)  # the connection settles
        kms.create_key(CustomKeyStoreId=store, Origin="AWS_CLOUDHSM")
        doomed = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        kms.sign(KeyId=doomed, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
        kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
        m.save(path)
    return path, json.loads(path.read_text())


def test_corrupted_files_are_refused_or_work(rich):
    """Each entry of a saved file replaced by wrong-typed values (the checksum removed, as by a
    hand edit): the load is a StateError, or the loaded mock answers without KMSInternalException."""
    path, data = rich
    paths = [p for p in _leaves(data) if p and p[0] not in ("checksum", "mock_kms_version", "saved_at")]
    cases = [(p, v) for p in paths for v in WRONG_VALUES]
    if os.environ.get("MOCK_KMS_STATE_FUZZ") != "all":
        cases = random.Random(153).sample(cases, min(len(cases), 80))
    failures = []
    for leaf, value in cases:
        document = copy.deepcopy(data)
        _set(document, leaf, value)
        _write(path, document)
        with mock_kms() as m:
            try:
                m.load(path)
            except StateError:
                continue
            except Exception as error:  # pragma: no cover - the failure being tested for
                failures.append(f"{leaf} = {value!r}: load raised {error!r}")
                continue
            failures += [f"{leaf} = {value!r}: {problem}" for problem in _exercise(m)]
    assert not failures, "\n".join(failures[:20])


def test_clock_offset_within_range_still_loads(saved):
    path, data = saved
    _write(path, {**data, "clock_offset_seconds": 86400.0 * 365 * 50})
    with mock_kms(state=path) as m:
        assert m.clock.offset == timedelta(days=365 * 50)


def test_keys_of_every_spec_and_usage_pass_the_checks(tmp_path):
    """The checks refuse bad files, never good ones: a key of every spec and usage, used (so
    its material exists), saved and loaded."""
    from mock_kms.core.specs import KEY_SPECS

    path = tmp_path / "specs.json"
    made = {}
    with mock_kms() as m:
        for region in ("us-east-1", "cn-north-1"):  # SM2 is offered in the China Regions only
            kms = m.client(region_name=region)
            for spec in KEY_SPECS.values():
                for usage in spec.usages:
                    try:
                        key = kms.create_key(KeySpec=spec.name, KeyUsage=usage)["KeyMetadata"]
                    except ClientError:
                        continue  # not offered in this Region
                    if spec.is_asymmetric and spec.name not in ("RSA_3072", "RSA_4096"):  # slow to generate
                        try:
                            kms.get_public_key(KeyId=key["KeyId"])
                        except ClientError as error:  # e.g. ML-KEM-512 with this cryptography
                            assert error.response["Error"]["Code"] == "UnsupportedOperationException"
                    made[key["Arn"]] = (spec.name, usage)
        m.save(path)
    assert {spec for spec, _ in made.values()} == set(KEY_SPECS)
    with mock_kms(state=path) as m:
        for arn, (spec, usage) in made.items():
            region = arn.split(":")[3]
            meta = m.client(region_name=region).describe_key(KeyId=arn)["KeyMetadata"]
            assert (meta["KeySpec"], meta["KeyUsage"]) == (spec, usage)


def test_material_of_another_spec_and_a_bad_issuing_account_are_refused(tmp_path):
    # Both loaded before and answered KMSInternalException on a later request (review findings).
    path = tmp_path / "state.json"
    with mock_kms() as m:
        kms = m.client()
        rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        ecc = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        kms.get_public_key(KeyId=rsa)
        kms.get_public_key(KeyId=ecc)
        kms.create_grant(KeyId=ecc, GranteePrincipal=f"arn:aws:iam::{m.account}:root", Operations=["Sign"])
        m.save(path)
    data = json.loads(path.read_text())

    swapped = copy.deepcopy(data)
    versions = [v for s in swapped["material_sets"] for v in s["versions"] if isinstance(v.get("private_key"), dict)]
    by_spec = {v["spec"]: v for v in versions}
    by_spec["RSA_2048"]["private_key"] = by_spec["ECC_NIST_P256"]["private_key"]
    _write(path, swapped)
    _refused_and_unchanged(path, "private_key is not a RSA_2048 key")

    bad_grant = copy.deepcopy(data)
    key = next(k for k in bad_grant["regions"][0]["keys"] if k["grants"])
    next(iter(key["grants"].values()))["attributes"]["issuing_account"] = "bad"
    _write(path, bad_grant)
    _refused_and_unchanged(path, "issuing_account is not an account root ARN")
