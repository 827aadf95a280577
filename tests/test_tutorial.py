"""The classic KMS tutorial (examples/key_manager_and_user.py) runs and asserts under the mock."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from mock_kms import mock_kms, tutorial

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "key_manager_and_user.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("key_manager_and_user", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_example_main_runs(capsys):
    _load_example().main()
    assert "tutorial OK" in capsys.readouterr().out


def test_tutorial_key_policy_is_lockout_safe_only_for_the_key_manager():
    with mock_kms(account=tutorial.ACCOUNT, region="us-east-1") as kms_mock:
        iam = kms_mock.iam
        group = iam.create_group("myKMSGroup", policies=[tutorial.GROUP_POLICY])
        iam.create_user("MyKeyManager", groups=[group], policies=[tutorial.KEY_MANAGER_POLICY])
        user = iam.create_user(
            "MyKeyUser",
            groups=[group],
            policies=[
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "kms:CreateKey", "Resource": "*"}],
                }
            ],
        )
        # MyKeyUser could create a key, but not with this policy: it would lock MyKeyUser out.
        with pytest.raises(ClientError) as caught:
            user.client("kms").create_key(Policy=json.dumps(tutorial.KEY_POLICY))
        assert caught.value.response["Error"] == {
            "Code": "MalformedPolicyDocumentException",
            "Message": "The new key policy will not allow you to update the key policy in the future.",
        }


def test_tutorial_denials_are_journaled():
    example = _load_example()
    with mock_kms(account=example.ACCOUNT, region="us-east-1") as kms_mock:
        example.tutorial(kms_mock.iam)
        denied = [
            (c.operation, c.caller_arn.rsplit("/", 1)[-1])
            for c in kms_mock.calls
            if c.error_code == "AccessDeniedException"
        ]
    assert denied == [
        ("Encrypt", "MyKeyManager"),
        ("DisableKey", "MyKeyUser"),
        ("ScheduleKeyDeletion", "MyKeyUser"),
        ("PutKeyPolicy", "MyKeyUser"),
        ("GetKeyPolicy", "MyKeyUser"),
        ("CreateKey", "MyKeyUser"),
    ]
