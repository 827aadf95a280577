"""mock_kms: an in-process, high-fidelity test double of AWS KMS for boto3/botocore."""

from mock_kms.core.clock import Clock
from mock_kms.journal import CallRecord
from mock_kms.mock import DEFAULT_ACCOUNT, KmsMock, mock_kms
from mock_kms.server import kms_server

__all__ = ["CallRecord", "Clock", "DEFAULT_ACCOUNT", "KmsMock", "kms_server", "mock_kms"]
__version__ = "0.1.0"
