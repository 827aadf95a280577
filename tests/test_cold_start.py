"""The lighter cold start (issue 14): only what a request needs is loaded, when first needed.

No timings here (benchmarks/bench_cold_start.py measures them): what is checked is that a
plain CreateKey + Encrypt loads neither the policy engine, nor asymmetric crypto, nor API
families it does not call, that what is loaded later still answers the same, and that the
operation -> family table the lazy loading relies on matches the handlers' registrations.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import botocore.session

from mock_kms import api
from mock_kms.api.registry import HANDLERS as REGISTERED
from mock_kms.wire.model import service_model

ROOT = Path(__file__).resolve().parent.parent


def _run_python(source: str, cwd: Path | None = None, args: tuple[str, ...] = ()) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.setdefault("AWS_ACCESS_KEY_ID", "AKIDTEST")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "secret")
    command = [sys.executable, "-c", textwrap.dedent(source)] if source else [sys.executable, *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_family_table_matches_the_registered_handlers():
    handlers = api.load_all()
    registered_by = {name: handler.__module__.rsplit(".", 1)[1] for name, handler in handlers.items()}
    declared = {name: family for family, names in api.FAMILIES.items() for name in names}
    assert registered_by == declared
    assert set(declared) <= set(service_model().operation_names)
    assert api.HANDLERS is REGISTERED


def test_the_service_model_is_botocores_own():
    ours = service_model()
    theirs = botocore.session.get_session().get_service_model("kms")
    assert ours._service_description == theirs._service_description
    assert ours.api_version == theirs.api_version


def test_create_key_and_encrypt_load_only_what_they_need():
    out = _run_python(
        """
        import sys, boto3
        from mock_kms import mock_kms
        with mock_kms():
            kms = boto3.client("kms", region_name="us-east-1")
            key_id = kms.create_key()["KeyMetadata"]["KeyId"]
            blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
            not_loaded = [name for name in (
                "mock_kms.iam.policy", "mock_kms.core.crypto.asymmetric", "mock_kms.api.asymmetric",
                "mock_kms.api.aliases", "mock_kms.api.rotation", "mock_kms.api.kem", "unittest",
                "cryptography.hazmat.primitives.serialization",
            ) if name in sys.modules]
            print(not_loaded)
            # Loaded on first use, and answering as before.
            kms.create_alias(AliasName="alias/later", TargetKeyId=key_id)
            print(kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x")
            signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
            signature = kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
            print(kms.verify(KeyId=signing, Message=b"m", SigningAlgorithm="ECDSA_SHA_256", Signature=signature)["SignatureValid"])
            kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy='{"Version": "2012-10-17", "Statement": []}',
                               BypassPolicyLockoutSafetyCheck=True)
            try:
                kms.encrypt(KeyId=key_id, Plaintext=b"x")
            except kms.exceptions.ClientError as error:
                print(error.response["Error"]["Code"])
            print("mock_kms.iam.policy" in sys.modules)
        """
    )
    assert out.split("\n")[:5] == ["[]", "True", "True", "AccessDeniedException", "True"]


def test_a_pytest_run_without_the_mock_loads_no_botocore_or_cryptography(tmp_path):
    (tmp_path / "test_plain.py").write_text("def test_nothing():\n    pass\n")
    (tmp_path / "conftest.py").write_text(
        "import sys\n\ndef pytest_unconfigure(config):\n"
        "    print('LOADED', 'botocore' in sys.modules, 'cryptography' in sys.modules)\n"
    )
    out = _run_python("", cwd=tmp_path, args=("-m", "pytest", "-q", "-p", "no:randomly", "-s"))
    assert "LOADED False False" in out


# -- the benchmarks of issue 14 still run (tiny sizes, no timing asserted) ------------------------


def test_suite_benchmark_suites_pass(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import bench_suite

    for name in ("floor", "mock_kms", "mock_kms (kms_client)"):
        folder = tmp_path / name.split()[0] / str(len(name))
        bench_suite.write_suite(folder, name, tests=4)
        wall, cpu = bench_suite._run_suite(folder, str(tmp_path / "pycache"))  # raises if a test fails
        assert wall > 0 and cpu >= 0
        assert (folder / "test_typical.py").read_text().count("def test_") == 4


def test_cold_start_ratio_is_the_share_of_motos_added_cost(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import bench_cold_start

    median = {name: {"process_cpu": cost} for name, cost in (("floor", 0.2), ("mock_kms", 0.25), ("moto", 0.7))}
    assert round(bench_cold_start.added_ratio(median, "process_cpu"), 3) == 0.1


def test_threads_making_the_first_call_of_a_family_at_once_all_get_answers():
    out = _run_python(
        """
        import sys, threading, boto3
        from mock_kms import mock_kms
        with mock_kms() as kms_mock:
            clients = [boto3.client("kms", region_name="us-east-1") for _ in range(8)]
            key_id = clients[0].create_key()["KeyMetadata"]["KeyId"]
            assert "mock_kms.api.rotation" not in sys.modules
            barrier, answers = threading.Barrier(8), []

            def first_call(kms):
                barrier.wait()
                answers.append(kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"])

            threads = [threading.Thread(target=first_call, args=(kms,)) for kms in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            print(answers == [False] * 8, [call.error_code for call in kms_mock.calls if call.error_code])
        """
    )
    assert out.split("\n")[0] == "True []"
