"""mock_kms next to moto's ``mock_aws``: while a mock_kms mock is active every KMS request goes to
mock_kms and everything else to moto, in every order and form; moto answers KMS again afterwards
from the state it kept (mock_kms/moto_compat.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from mock_kms import mock_kms
from mock_kms.interception import active_mock

pytest.importorskip("moto", reason="moto is not installed: pip install -e '.[test]'")
from moto import mock_aws  # noqa: E402
from moto.kms.models import kms_backends  # noqa: E402

ACCOUNT, REGION = "123456789012", "us-east-1"


def moto_key_ids() -> set[str]:
    return set(kms_backends[ACCOUNT][REGION].keys)


def check_kms_to_mock_kms_rest_to_moto(kms_client=None, s3_client=None) -> str:
    """KMS is answered by the active mock_kms mock (journaled, AWS's policy check, nothing in moto);
    S3 and DynamoDB by moto. Returns the key made in mock_kms."""
    mock = active_mock()
    assert mock is not None
    kms = kms_client or boto3.client("kms", region_name=REGION)
    key_id = kms.create_key(Description="in mock_kms")["KeyMetadata"]["KeyId"]
    assert mock.calls[-1].operation == "CreateKey" and key_id in mock.backend.region(ACCOUNT, REGION).keys
    assert key_id not in moto_key_ids()
    with pytest.raises(ClientError) as excinfo:  # moto accepts any policy text; AWS (and mock_kms) don't
        kms.create_key(Policy="my policy")
    assert excinfo.value.response["Error"]["Code"] == "MalformedPolicyDocumentException"
    s3 = s3_client or boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="orders")
    assert [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]] == ["orders"]
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert dynamodb.list_tables()["TableNames"] == ["t"]
    assert {call.operation for call in mock.calls} == {"CreateKey"}  # S3/DynamoDB never reached mock_kms
    return key_id


# -- with blocks, start/stop: either order ---------------------------------------------------
@contextmanager
def moto_outside() -> Iterator[None]:
    with mock_aws(), mock_kms():
        yield


@contextmanager
def moto_inside() -> Iterator[None]:
    with mock_kms(), mock_aws():
        yield


@contextmanager
def started_moto_first() -> Iterator[None]:
    aws = mock_aws()
    aws.start()
    kms = mock_kms().start()
    try:
        yield
    finally:
        kms.stop()
        aws.stop()


@contextmanager
def started_mock_kms_first() -> Iterator[None]:
    kms = mock_kms().start()
    aws = mock_aws()
    aws.start()
    try:
        yield
    finally:
        aws.stop()
        kms.stop()


@pytest.mark.parametrize("arrangement", [moto_outside, moto_inside, started_moto_first, started_mock_kms_first])
def test_kms_goes_to_mock_kms_and_the_rest_to_moto(arrangement, no_network):
    with arrangement():
        check_kms_to_mock_kms_rest_to_moto()


# -- decorators stacked both ways --------------------------------------------------------------
def test_decorators_moto_outside(no_network):
    @mock_aws
    @mock_kms
    def body():
        check_kms_to_mock_kms_rest_to_moto()

    body()


def test_decorators_moto_inside(no_network):
    @mock_kms
    @mock_aws
    def body():
        check_kms_to_mock_kms_rest_to_moto()

    body()


# -- the kms_mock fixture with moto's decorator or a fixture that enters mock_aws -------------
@mock_aws
def test_kms_mock_fixture_with_moto_decorator(kms_mock, no_network):
    assert active_mock() is kms_mock
    check_kms_to_mock_kms_rest_to_moto()


@pytest.fixture
def aws():
    with mock_aws():
        yield


def test_kms_mock_fixture_with_a_fixture_entering_mock_aws(aws, kms_mock, no_network):
    check_kms_to_mock_kms_rest_to_moto()


def test_fixture_entering_mock_aws_after_kms_mock(kms_mock, aws, no_network):
    check_kms_to_mock_kms_rest_to_moto()


# -- clients made before either started ---------------------------------------------------------
def test_clients_made_before_either_started(no_network):
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    kms = boto3.client("kms", region_name=REGION, **credentials)
    s3 = boto3.client("s3", region_name=REGION, **credentials)
    with mock_aws(), mock_kms():
        check_kms_to_mock_kms_rest_to_moto(kms, s3)
    with mock_kms(), mock_aws():
        check_kms_to_mock_kms_rest_to_moto(kms, s3)


# -- moto answers KMS again afterwards; moto stopping first ------------------------------------
def test_moto_answers_kms_again_with_its_earlier_state(no_network):
    with mock_aws():
        kms = boto3.client("kms", region_name=REGION)
        moto_key = kms.create_key(Description="in moto")["KeyMetadata"]["KeyId"]
        with mock_kms() as mock:
            assert kms.list_keys()["Keys"] == []  # mock_kms's own, fresh state
            mine = kms.create_key()["KeyMetadata"]["KeyId"]
        assert [key["KeyId"] for key in kms.list_keys()["Keys"]] == [moto_key]
        assert kms.create_key(Policy="my policy")["KeyMetadata"]["KeyId"] in moto_key_ids()  # moto again
        assert mine not in moto_key_ids() and [call.operation for call in mock.calls] == ["ListKeys", "CreateKey"]
        mock.start()  # and mock_kms again, from start()/stop() this time
        assert kms.list_keys()["Keys"] == []
        mock.stop()
        assert moto_key in {key["KeyId"] for key in kms.list_keys()["Keys"]}


def test_moto_stopping_first_leaves_mock_kms_working(no_network):
    aws = mock_aws()
    aws.start()
    mock = mock_kms().start()
    try:
        key_id = check_kms_to_mock_kms_rest_to_moto()
        aws.stop()
        kms = boto3.client("kms", region_name=REGION)  # a new client: credentials still there
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "in mock_kms"
        assert mock.calls[-1].operation == "DescribeKey"
    finally:
        mock.stop()


def test_mock_kms_stopping_first_leaves_moto_its_credentials(no_network, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    mock = mock_kms().start()  # supplies throwaway credentials
    aws = mock_aws()
    aws.start()  # replaces them with moto's
    try:
        mock.stop()  # leaves moto's in place
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="after-mock-kms")
        assert [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]] == ["after-mock-kms"]
        assert boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["KeyId"] in moto_key_ids()
    finally:
        aws.stop()


def test_nested_mock_kms_mocks_inside_moto(no_network):
    with mock_aws(), mock_kms() as outer:
        kms = boto3.client("kms", region_name=REGION)
        kms.create_key()
        with mock_kms() as inner:
            assert kms.list_keys()["Keys"] == []
            assert inner.calls[-1].operation == "ListKeys"
        assert len(kms.list_keys()["Keys"]) == 1 and outer.calls[-1].operation == "ListKeys"


# -- requests: hand-signed KMS calls ---------------------------------------------------------------
def hand_signed(target: str) -> dict[str, str]:
    # mock_kms reads the caller from the Credential; the signature itself is not checked.
    return {
        "X-Amz-Target": target,
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDHAND/20260101/us-east-1/kms/aws4_request, "
        "SignedHeaders=host, Signature=00",
    }


@pytest.mark.parametrize("arrangement", [moto_outside, moto_inside, started_mock_kms_first])
@pytest.mark.parametrize("url", ["https://kms.us-east-1.amazonaws.com/", "https://kms.internal.example/"])
def test_hand_signed_requests_go_to_mock_kms(arrangement, url, no_network):
    with arrangement():
        body = json.dumps({"Description": "by requests"}).encode()
        response = requests.post(url, data=body, headers=hand_signed("TrentService.CreateKey"))
        assert response.status_code == 200, response.text
        key_id = response.json()["KeyMetadata"]["KeyId"]
        assert active_mock().calls[-1].operation == "CreateKey" and key_id not in moto_key_ids()


def test_moto_answers_hand_signed_kms_again_afterwards(no_network):
    with mock_aws():
        with mock_kms():
            pass
        body = json.dumps({"Description": "moto"}).encode()
        response = requests.post(
            "https://kms.us-east-1.amazonaws.com/", data=body, headers=hand_signed("TrentService.CreateKey")
        )
        assert response.json()["KeyMetadata"]["KeyId"] in moto_key_ids()


def test_moto_is_restored_exactly_after_the_last_stop():
    from moto.core import models
    from moto.core.botocore_stubber import BotocoreStubber

    call, unmock = vars(BotocoreStubber)["__call__"], vars(models.MockAWS)["_unmock_env_variables"]
    with mock_kms(), mock_kms():
        assert vars(BotocoreStubber)["__call__"] is not call
        assert "_on_request" in vars(models.responses_mock)
    assert vars(BotocoreStubber)["__call__"] is call
    assert vars(models.MockAWS)["_unmock_env_variables"] is unmock
    assert "_on_request" not in vars(models.responses_mock)


@pytest.mark.parametrize("moto_stops_first", [True, False])
def test_stops_in_either_order_leave_requests_unpatched(moto_stops_first, no_network):
    # Both patch requests' HTTPAdapter.send through `responses`; stopped out of order, neither may
    # remove the other's patch while it is on, nor put its own stale patch back afterwards.
    import requests.adapters

    original = requests.adapters.HTTPAdapter.send
    first, second = (mock_aws(), mock_kms()) if moto_stops_first else (mock_kms(), mock_aws())
    first.start()
    second.start()
    first.stop()
    try:
        response = requests.post(
            "https://kms.us-east-1.amazonaws.com/",
            data=json.dumps({"Description": "x"}).encode(),
            headers=hand_signed("TrentService.CreateKey"),
        )
        key_id = response.json()["KeyMetadata"]["KeyId"]
        still_on = second if not moto_stops_first else None
        if moto_stops_first:  # mock_kms, still active, answers
            assert active_mock().calls[-1].operation == "CreateKey" and key_id not in moto_key_ids()
        else:  # moto, still active, answers
            assert still_on is not None and key_id in moto_key_ids()
    finally:
        second.stop()
    assert requests.adapters.HTTPAdapter.send is original


# -- what does not cross over: moto's services use moto's internal KMS -----------------------------
def test_moto_services_do_not_see_mock_kms_keys(no_network):
    """moto's DynamoDB and S3 store a mock_kms key id as given, unchecked (no key lookup, no encryption
    with it); DynamoDB's default encryption key is made in moto's internal KMS, not in mock_kms."""
    with mock_aws(), mock_kms() as mock:
        kms = boto3.client("kms", region_name=REGION)
        key_arn = kms.create_key()["KeyMetadata"]["Arn"]
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        table = {
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        }
        dynamodb.create_table(TableName="mine", SSESpecification={"Enabled": True, "KMSMasterKeyId": key_arn}, **table)
        sse = dynamodb.describe_table(TableName="mine")["Table"]["SSEDescription"]
        assert sse["KMSMasterKeyArn"] == key_arn
        dynamodb.create_table(TableName="any", SSESpecification={"Enabled": True, "KMSMasterKeyId": "no-such"}, **table)
        assert dynamodb.describe_table(TableName="any")["Table"]["SSEDescription"]["KMSMasterKeyArn"] == "no-such"

        dynamodb.create_table(TableName="default", SSESpecification={"Enabled": True}, **table)
        default_arn = dynamodb.describe_table(TableName="default")["Table"]["SSEDescription"]["KMSMasterKeyArn"]
        assert default_arn.rsplit("/", 1)[1] in moto_key_ids()  # moto's own alias/aws/dynamodb key
        with pytest.raises(ClientError) as excinfo:
            kms.describe_key(KeyId=default_arn)
        assert excinfo.value.response["Error"]["Code"] == "NotFoundException"
        assert kms.describe_key(KeyId="alias/aws/dynamodb")["KeyMetadata"]["Arn"] != default_arn

        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="sse-bucket")
        s3.put_object(Bucket="sse-bucket", Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="no-such")
        head = s3.head_object(Bucket="sse-bucket", Key="k")
        assert head["SSEKMSKeyId"] == "no-such" and s3.get_object(Bucket="sse-bucket", Key="k")["Body"].read() == b"x"
        assert {call.operation for call in mock.calls} == {"CreateKey", "DescribeKey"}  # no KMS call from moto


# -- moto loaded after mock_kms started; mock_kms never imports moto (fresh interpreters) -----------
def run_python(source: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_mock_kms_never_imports_moto():
    out = run_python(
        """
        import sys
        import boto3, requests
        from mock_kms import mock_kms
        from mock_kms.moto_compat import enable_switch, disable_switch
        from mock_kms.pytest_plugin import kms_mock

        enable_switch()  # the switch waits for moto's import: it does not import it
        with mock_kms() as mock:
            boto3.client("kms", region_name="us-east-1").create_key()
        disable_switch()
        print(sorted(name for name in sys.modules if name == "moto" or name.startswith("moto.")))
        """
    )
    assert out.strip() == "[]"


def test_moto_imported_while_a_mock_is_active():
    out = run_python(
        """
        import boto3
        from mock_kms import mock_kms

        early = boto3.client("kms", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
        with mock_kms() as mock:
            from moto import mock_aws  # imported while the mock is active

            with mock_aws():
                late = boto3.client("kms", region_name="us-east-1")
                for kms in (early, late):
                    kms.create_key()
                from moto.kms.models import kms_backends

                print(len(mock.calls), len(kms_backends["123456789012"]["us-east-1"].keys))
        """
    )
    assert out.split() == ["2", "0"]


def test_a_moto_without_moto_5_internals_is_warned_about_not_a_crash(tmp_path):
    # moto 4 has no MockAWS._enable_patching / _unmock_env_variables: mock_kms must still start,
    # and the switch must not break `import moto` (review finding).
    package = tmp_path / "moto" / "core"
    package.mkdir(parents=True)
    (tmp_path / "moto" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text("class BotocoreEventMockAWS:\n    pass\n\nMockAWS = BotocoreEventMockAWS\n")
    source = f"""
        import sys, warnings
        sys.path.insert(0, {str(tmp_path)!r})
        warnings.simplefilter("always")
        from mock_kms import mock_kms
        from mock_kms.moto_compat import enable_switch
        enable_switch()
        with warnings.catch_warnings(record=True) as caught:
            import moto.core.models
            with mock_kms() as kms_mock:
                kms_mock.client().create_key()
        print(len(kms_mock.calls), sorted({{str(w.message)[:40] for w in caught}}))
    """
    out = run_python(source)
    assert out.startswith("1 ") and "mock_kms cannot adapt to this version of" in out


def test_no_throwaway_credentials_are_left_after_both_stop(no_network, monkeypatch):
    # mock_kms supplies credentials, moto saves them as "the user's" and would put them back after
    # mock_kms is gone (review finding): the environment must end as it began.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    mock = mock_kms().start()
    aws = mock_aws()
    aws.start()
    mock.stop()
    aws.stop()
    left = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"} & set(os.environ)
    assert left == set()


def test_with_the_switch_on_a_mock_the_test_started_keeps_answering():
    # The switch runs a mock for every mock_aws; a mock_kms mock the test started itself, already
    # active, must keep answering inside mock_aws, as without the switch (review finding).
    out = run_python(
        """
        from mock_kms import KmsMock, moto_compat
        moto_compat.enable_switch()
        import boto3
        from moto import mock_aws
        with KmsMock() as mine:
            mine.client().create_key()
            with mock_aws():
                print(len(boto3.client("kms", region_name="us-east-1").list_keys()["Keys"]))
            print([call.operation for call in mine.calls])
        moto_compat.disable_switch()
        """
    )
    assert out.splitlines() == ["1", "['CreateKey', 'ListKeys']"]
