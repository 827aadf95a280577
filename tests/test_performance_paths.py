"""The behaviour behind the performance work (issue 9) — no timings are asserted here.

What is checked: request and event IDs keep AWS's shape, ListKeys pages through a changing
key set without skipping or repeating keys, the fast JSON/body path answers exactly like the
plain one, `requests` interception still works when `requests` is imported only after the
mock started (activation no longer imports it), importing mock_kms or its pytest plugin no
longer loads botocore, and the benchmarks themselves still run (tiny sizes).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from mock_kms import mock_kms
from mock_kms.core.ids import random_uuid
from mock_kms.wire.protocol import WireResponse, handle

ROOT = Path(__file__).resolve().parent.parent
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
AUTH = "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00"


def _run_python(source: str) -> str:
    """Run ``source`` in a fresh interpreter (nothing imported yet); return its stdout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.setdefault("AWS_ACCESS_KEY_ID", "AKIDTEST")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "secret")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# -- identifiers ------------------------------------------------------------------------------
def test_random_uuid_is_a_version_4_uuid():
    values = {random_uuid() for _ in range(2000)}
    assert len(values) == 2000
    for value in values:
        assert UUID4.match(value), value
        parsed = uuid.UUID(value)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == value


def test_request_ids_and_event_ids_are_uuid4_shaped(kms_mock):
    kms = kms_mock.client()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    responses = [kms.encrypt(KeyId=key_id, Plaintext=b"x") for _ in range(3)]
    request_ids = [response["ResponseMetadata"]["RequestId"] for response in responses]
    assert len(set(request_ids)) == 3 and all(UUID4.match(value) for value in request_ids)
    records = kms_mock.calls.filter("Encrypt")
    assert [record.request_id for record in records] == request_ids
    event_ids = [record.cloudtrail_event()["eventID"] for record in records]
    assert len(set(event_ids)) == 3 and all(UUID4.match(value) for value in event_ids)


def test_request_ids_do_not_consume_the_global_random_state():
    import random

    random.seed(1234)
    expected = [random.random() for _ in range(3)]
    random.seed(1234)
    with mock_kms() as m:
        m.client().list_keys()
        assert [random.random() for _ in range(3)] == expected


# -- ListKeys over a changing key set -----------------------------------------------------------
def _pages(kms, limit: int, marker: str | None = None) -> tuple[list[str], str | None]:
    page = kms.list_keys(Limit=limit, **({"Marker": marker} if marker else {}))
    return [key["KeyId"] for key in page["Keys"]], page.get("NextMarker")


def test_list_keys_lists_every_key_once_across_pages(kms):
    made = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(7)]
    seen, marker = _pages(kms, 3)
    while marker:
        page, marker = _pages(kms, 3, marker)
        seen += page
    assert seen == made


def test_list_keys_keys_created_between_pages_are_listed_at_the_end(kms):
    made = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(4)]
    first, marker = _pages(kms, 2)
    made.append(kms.create_key()["KeyMetadata"]["KeyId"])
    rest, marker2 = _pages(kms, 10, marker)
    assert first + rest == made and marker2 is None


def test_list_keys_resumes_at_the_next_key_when_an_earlier_key_is_deleted(kms_mock):
    kms = kms_mock.client()
    made = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)]
    first, marker = _pages(kms, 2)
    assert first == made[:2]
    kms.schedule_key_deletion(KeyId=made[0], PendingWindowInDays=7)
    kms_mock.clock.advance(days=8)
    kms_mock.run_due_events()  # the first key is now deleted for good
    with pytest.raises(ClientError):
        kms.describe_key(KeyId=made[0])
    rest, _ = _pages(kms, 10, marker)
    # The marker names the next key: nothing is skipped although every key moved up by one.
    assert rest == made[2:]


def test_list_keys_marker_of_a_deleted_key_falls_back_to_its_offset(kms_mock):
    kms = kms_mock.client()
    made = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)]
    _, marker = _pages(kms, 2)  # the next key is made[2]
    kms.schedule_key_deletion(KeyId=made[2], PendingWindowInDays=7)
    kms_mock.clock.advance(days=8)
    kms_mock.run_due_events()
    rest, _ = _pages(kms, 10, marker)
    assert rest == made[3:]


def test_list_keys_rejects_a_marker_of_another_list_operation(kms):
    for _ in range(3):
        kms.create_key()
    alias_marker = kms.list_keys(Limit=1)["NextMarker"]
    kms.create_alias(AliasName="alias/a", TargetKeyId=kms.list_keys()["Keys"][0]["KeyId"])
    kms.create_alias(AliasName="alias/b", TargetKeyId=kms.list_keys()["Keys"][0]["KeyId"])
    other = kms.list_aliases(Limit=1).get("NextMarker")
    assert other is not None
    with pytest.raises(ClientError) as error:
        kms.list_keys(Marker=other)
    assert error.value.response["Error"]["Code"] == "InvalidMarkerException"
    assert kms.list_keys(Marker=alias_marker)["Keys"]  # its own markers still work


def test_keys_with_the_default_policy_share_one_policy_string(kms_mock):
    kms = kms_mock.client()
    first = kms.create_key()["KeyMetadata"]["KeyId"]
    second = kms.create_key()["KeyMetadata"]["KeyId"]
    here = kms_mock.backend.region(kms_mock.account, kms_mock.region)
    assert here.keys[first].policy is here.keys[second].policy
    assert kms.get_key_policy(KeyId=first, PolicyName="default")["Policy"] == here.keys[first].policy


# -- the wire layer's fast paths ---------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [b'{"Description": "x"}  \n', '{"Description": "x"}', b"\xef\xbb\xbf{}", b"", None],
)
def test_request_bodies_json_accepts(body):
    with mock_kms() as m:
        response = handle(m, {"X-Amz-Target": "TrentService.CreateKey", "Authorization": AUTH}, body)
        assert isinstance(response, WireResponse)
        status, headers, answer = response
        assert status == 200, answer
        assert UUID4.match(headers["x-amzn-RequestId"])
        assert json.loads(answer)["KeyMetadata"]["KeyId"]


@pytest.mark.parametrize("body", [b'{"Description": "x"} trailing', b'{"Description": ', b"{\xff}"])
def test_request_bodies_json_rejects(body):
    with mock_kms() as m:
        response = handle(m, {"X-Amz-Target": "TrentService.CreateKey", "Authorization": AUTH}, body)
        assert response.status == 400
        assert json.loads(response.body) == {
            "__type": "SerializationException",
            "message": "Start of structure or map found where not expected.",
        }


def test_bytes_headers_are_read_like_str_headers():
    with mock_kms() as m:
        response = handle(m, {"X-Amz-Target": b"TrentService.ListKeys", "Authorization": AUTH.encode()}, b"{}")
        assert response.status == 200
        assert m.calls[-1].region == "us-east-1" and m.calls[-1].access_key_id == "AKIDTEST"


# -- `requests` is imported lazily ------------------------------------------------------------
_CALL_WITH_REQUESTS = """
    import json, socket

    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    socket.socket.connect = no_network
    socket.create_connection = no_network
    AUTH = "AWS4-HMAC-SHA256 Credential=AKIDHAND/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0"

    def create_key_with_requests(description):
        body = json.dumps({"Description": description}).encode()
        headers = {"X-Amz-Target": "TrentService.CreateKey", "Content-Type": "application/x-amz-json-1.1",
                   "Authorization": AUTH}
        return requests.post("https://kms.us-east-1.amazonaws.com/", data=body, headers=headers, timeout=5)
"""


def test_activation_does_not_import_requests_and_a_later_import_is_intercepted():
    out = _run_python(
        textwrap.dedent(_CALL_WITH_REQUESTS)
        + textwrap.dedent(
            """
            import sys
            from mock_kms import mock_kms
            with mock_kms() as m:
                assert "requests" not in sys.modules and "responses" not in sys.modules
                import requests
                response = create_key_with_requests("late import")
                print(response.status_code, response.json()["KeyMetadata"]["Description"], len(m.calls))
            """
        )
    )
    assert out.split() == ["200", "late", "import", "1"]


def test_responses_imported_first_still_starts_the_interception():
    out = _run_python(
        textwrap.dedent(_CALL_WITH_REQUESTS)
        + textwrap.dedent(
            """
            from mock_kms import mock_kms
            with mock_kms() as m:
                import responses  # imports `requests` while `responses` itself is half-loaded
                import requests
                print(create_key_with_requests("via responses").status_code)
            """
        )
    )
    assert out.split() == ["200"]


def test_a_mock_stopped_before_requests_is_imported_leaves_requests_alone():
    out = _run_python(
        """
        import sys
        from mock_kms import mock_kms
        m = mock_kms()
        m.start()
        m.stop()
        import requests.adapters
        from mock_kms import interception
        print("responses" in sys.modules, requests.adapters.HTTPAdapter.send.__module__, interception._pending_requests)
        """
    )
    assert out.split() == ["False", "requests.adapters", "[]"]


def test_importing_mock_kms_and_its_plugin_loads_no_botocore():
    out = _run_python(
        """
        import sys
        import mock_kms.pytest_plugin
        import mock_kms
        print("botocore" in sys.modules, "cryptography" in sys.modules)
        from mock_kms import mock_kms as factory, KmsMock, CallRecord, DEFAULT_ACCOUNT, Clock, kms_server
        print(callable(factory), KmsMock.__name__, DEFAULT_ACCOUNT, mock_kms.journal.CallRecord is CallRecord)
        try:
            mock_kms.no_such_name
        except AttributeError as error:
            print("AttributeError")
        """
    )
    assert out.split() == ["False", "False", "True", "KmsMock", "123456789012", "True", "AttributeError"]


# -- the benchmarks still run (tiny sizes, no timing asserted) ---------------------------------
@pytest.fixture
def benchmarks_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))


def test_scale_benchmark_runs(benchmarks_on_path):
    import bench_scale

    results = bench_scale.run(checkpoints=(30, 60), memory_keys=20)
    assert [row["keys"] for row in results["rows"]] == [30, 60]
    assert "| 60 |" in bench_scale.render(results)


def test_threads_benchmark_runs_and_loses_nothing(benchmarks_on_path):
    import bench_threads

    results = bench_threads.run(iterations=2)
    for row in (results["single"], results["eight"]):
        assert row["errors"] == [] and row["lost"] == {"keys": 0, "tags": 0, "journal": 0}
    assert "mock_kms | 8" in bench_threads.render(results)
