"""The aws CLI (v1), in-process through its own driver, running the KMS tutorial's commands.

``awscli.clidriver.create_clidriver().main([...])`` is what the ``aws`` script runs; the CLI
parses the arguments, reads ``fileb://`` files, base64-decodes output with ``--query`` and
formats errors exactly as it would against AWS. (The subprocess run against the HTTP server
is in the server's tests.)
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap

import pytest

from ._support import calls

clidriver = pytest.importorskip("awscli.clidriver")


@pytest.fixture
def aws(mock, capsys):
    """``aws ...`` -> (exit code, stdout, stderr).

    One driver per test: a fresh one per command (as separate processes would) costs ~0.3 s
    of model loading each and behaves the same.
    """
    capsys.readouterr()
    driver = clidriver.create_clidriver()

    def run(*args: str) -> tuple[int, str, str]:
        rc = driver.main(["--region", "us-east-1", *args])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def _json(aws, *args: str) -> dict:
    rc, out, err = aws(*args, "--output", "json")
    assert rc == 0, err
    return json.loads(out)


def test_kms_tutorial_commands(mock, aws, tmp_path):
    plaintext_file = tmp_path / "myfile.txt"
    plaintext_file.write_bytes(b"Hello, KMS tutorial!\n\x00\xff binary too")

    key = _json(aws, "kms", "create-key", "--description", "tutorial key")["KeyMetadata"]
    assert key["KeyState"] == "Enabled" and key["KeySpec"] == "SYMMETRIC_DEFAULT"
    rc, _, err = aws("kms", "create-alias", "--alias-name", "alias/tutorial", "--target-key-id", key["KeyId"])
    assert rc == 0, err

    # aws kms encrypt --key-id alias/... --plaintext fileb://myfile.txt --output text --query CiphertextBlob
    rc, out, err = aws(
        "kms", "encrypt", "--key-id", "alias/tutorial", "--plaintext", f"fileb://{plaintext_file}",
        "--encryption-context", "purpose=tutorial", "--output", "text", "--query", "CiphertextBlob",
    )  # fmt: skip
    assert rc == 0, err
    encrypted_file = tmp_path / "encryptedfile"
    encrypted_file.write_bytes(base64.b64decode(out.strip()))  # | base64 --decode > encryptedfile

    # aws kms decrypt --ciphertext-blob fileb://encryptedfile --output text --query Plaintext
    rc, out, err = aws(
        "kms", "decrypt", "--ciphertext-blob", f"fileb://{encrypted_file}",
        "--encryption-context", "purpose=tutorial", "--output", "text", "--query", "Plaintext",
    )  # fmt: skip
    assert rc == 0, err
    assert base64.b64decode(out.strip()) == plaintext_file.read_bytes()
    assert calls(mock, "Decrypt")[-1].encryption_context == {"purpose": "tutorial"}

    # Without the context: the CLI reports KMS's error and exits 255 (aws CLI v1).
    rc, out, err = aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{encrypted_file}")
    assert rc == 255 and out == ""
    assert "An error occurred (InvalidCiphertextException) when calling the Decrypt operation" in err

    # aws kms re-encrypt --ciphertext-blob fileb://encryptedfile --destination-key-id ...
    destination = _json(aws, "kms", "create-key")["KeyMetadata"]
    reencrypted = _json(
        aws, "kms", "re-encrypt", "--ciphertext-blob", f"fileb://{encrypted_file}",
        "--source-encryption-context", "purpose=tutorial", "--destination-key-id", destination["KeyId"],
    )  # fmt: skip
    assert reencrypted["SourceKeyId"] == key["Arn"] and reencrypted["KeyId"] == destination["Arn"]
    reencrypted_file = tmp_path / "reencryptedfile"
    reencrypted_file.write_bytes(base64.b64decode(reencrypted["CiphertextBlob"]))
    decrypted = _json(aws, "kms", "decrypt", "--ciphertext-blob", f"fileb://{reencrypted_file}")
    assert decrypted["KeyId"] == destination["Arn"]
    assert base64.b64decode(decrypted["Plaintext"]) == plaintext_file.read_bytes()

    # aws kms enable-key-rotation / get-key-rotation-status
    rc, out, err = aws("kms", "enable-key-rotation", "--key-id", key["KeyId"])
    assert (rc, out) == (0, ""), err
    status = _json(aws, "kms", "get-key-rotation-status", "--key-id", key["KeyId"])
    assert status["KeyRotationEnabled"] is True

    # aws kms schedule-key-deletion --key-id ... --pending-window-in-days 7
    scheduled = _json(aws, "kms", "schedule-key-deletion", "--key-id", key["KeyId"], "--pending-window-in-days", "7")
    assert scheduled["KeyId"] == key["Arn"] and scheduled["KeyState"] == "PendingDeletion"
    assert scheduled["PendingWindowInDays"] == 7
    rc, out, err = aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{encrypted_file}",
                       "--encryption-context", "purpose=tutorial")  # fmt: skip
    assert rc == 255
    assert err.strip().endswith(
        "An error occurred (KMSInvalidStateException) when calling the Decrypt operation: "
        f"{key['Arn']} is pending deletion."
    )
    rc, _, err = aws("kms", "cancel-key-deletion", "--key-id", key["KeyId"])
    assert rc == 0, err
    assert _json(aws, "kms", "describe-key", "--key-id", key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


def test_cli_validation_and_not_found_errors(aws):
    rc, _, err = aws("kms", "describe-key", "--key-id", "alias/does-not-exist")
    assert rc == 255
    assert "An error occurred (NotFoundException) when calling the DescribeKey operation: " in err
    assert "alias/does-not-exist" in err

    rc, _, err = aws("kms", "schedule-key-deletion", "--key-id", "1234abcd-12ab-34cd-56ef-1234567890ab",
                     "--pending-window-in-days", "7")  # fmt: skip
    assert rc == 255 and "(NotFoundException)" in err


def test_cli_list_keys_paginates_through_the_mock(mock, aws):
    arns = {mock.client("kms", "us-east-1").create_key()["KeyMetadata"]["Arn"] for _ in range(3)}
    # --page-size 1 makes the CLI follow NextMarker/Truncated across three pages.
    listed = _json(aws, "kms", "list-keys", "--page-size", "1")
    assert {key["KeyArn"] for key in listed["Keys"]} == arns
    assert len([r for r in calls(mock, "ListKeys")]) >= 3


def test_awscli_imported_before_the_mock_uses_its_vendored_botocore(tmp_path):
    """awscli >= 1.44 vendors botocore; imported first (as the ``aws`` script does), ``import
    botocore`` is that copy. The mock must patch whichever botocore is loaded."""
    script = textwrap.dedent(
        """
        import awscli.clidriver
        import botocore
        vendored = "awscli" in botocore.__file__
        from mock_kms import mock_kms
        with mock_kms(region="us-east-1") as m:
            rc = awscli.clidriver.create_clidriver().main(["kms", "create-key", "--query", "KeyMetadata.KeyState"])
            assert rc == 0 and [r.operation for r in m.calls] == ["CreateKey"], (rc, list(m.calls))
        print("vendored" if vendored else "shared")
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ['"Enabled"', "vendored" if _vendors_botocore() else "shared"]


def _vendors_botocore() -> bool:
    import importlib.util

    return importlib.util.find_spec("awscli.botocore") is not None
