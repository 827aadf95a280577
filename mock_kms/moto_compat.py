"""mock_kms next to moto (moto 5): KMS to mock_kms while a mock_kms mock is active, the rest to moto.

moto answers botocore from a ``before-send`` event handler (``moto.core.models.botocore_stubber``),
which runs before ``Endpoint._send`` — what mock_kms patches — and ``requests`` from its own
``responses`` mock (``moto.core.models.responses_mock``). While a mock_kms mock is active, both step
aside for KMS requests (``X-Amz-Target: TrentService.*``): the stubber returns None, so botocore sends
the request on to mock_kms; moto's ``responses`` mock hands it to the active mock's own ``responses``
mock. The last stop restores both exactly, and moto answers KMS again from the state it kept.

Nothing here imports moto: interception.py calls :func:`patch` with ``moto.core.models`` once moto is
loaded (at activation, or right after moto's import while a mock is active).

The switch for a whole moto-based suite (:func:`enable_switch`; ``pytest --mock-kms-for-moto``) runs
one mock_kms mock whenever a moto ``mock_aws`` is active, fresh whenever moto's state is reset.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mock_kms import interception

if TYPE_CHECKING:
    from mock_kms.mock import KmsMock

MOTO_MODELS = "moto.core.models"
_MISSING = object()

# -- routing: moto steps aside for KMS while a mock_kms mock is active -----------------------
_restore: list[tuple[Any, str, Any]] = []  # (owner, attribute, what it was: _MISSING if none)


def _replace(owner: Any, name: str, value: Any, saved: list[tuple[Any, str, Any]]) -> None:
    saved.append((owner, name, vars(owner).get(name, _MISSING)))
    setattr(owner, name, value)


def _put_back(saved: list[tuple[Any, str, Any]]) -> None:
    while saved:
        owner, name, value = saved.pop()
        if value is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, value)


def _kms_while_active(headers: Any) -> KmsMock | None:
    """The mock that answers this request: active, and the request is KMS."""
    mock = interception.active_mock()
    if mock is not None and interception.is_kms_target(headers.get("X-Amz-Target")):
        return mock
    return None


def _unsupported(what: str) -> None:
    warnings.warn(
        f"mock_kms cannot adapt to this version of moto ({what}); it is tested with moto 5. While "
        "moto's mock_aws is active, moto may answer KMS requests.",
        RuntimeWarning,
        stacklevel=3,
    )


def patch(models: Any) -> None:
    """Make moto's interception (``moto.core.models``) step aside for KMS while a mock is active.

    Written against moto 5's internals; a moto without them is warned about and left alone."""
    stubber = getattr(models, "botocore_stubber", None)
    if stubber is None or not hasattr(getattr(models, "responses_mock", None), "_on_request"):
        _unsupported("no botocore_stubber or responses_mock in moto.core.models")
        return
    stubber_class = type(stubber)
    moto_call = stubber_class.__call__

    def __call__(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        if _kms_while_active(request.headers) is not None:
            return None  # botocore goes on to Endpoint._send: mock_kms
        return moto_call(self, event_name, request, **kwargs)

    requests_mock = models.responses_mock
    moto_on_request = requests_mock._on_request

    def _on_request(adapter: Any, request: Any, **kwargs: Any) -> Any:
        mock = _kms_while_active(request.headers)
        # The mock's own `responses` mock answers; with intercept_requests=False, moto does.
        if mock is not None and mock._requests_mock is not None:
            return mock._requests_mock._on_request(adapter, request, **kwargs)
        return moto_on_request(adapter, request, **kwargs)

    mock_aws_class = getattr(models, "MockAWS", None)
    moto_unmock_env = getattr(mock_aws_class, "_unmock_env_variables", None)

    def _unmock_env_variables(self: Any) -> None:
        moto_unmock_env(self)  # moto stopping first removes its FOOBARKEY credentials...
        mock = interception.active_mock()
        if mock is not None:
            mock._supply_environment()  # ...so the active mock supplies its own again

    moto_stop = requests_mock.stop

    def stop(allow_assert: bool = True) -> None:
        interception.detach_requests_patch(requests_mock)  # moto stopping before mock_kms
        moto_stop(allow_assert)

    _replace(stubber_class, "__call__", __call__, _restore)
    _replace(requests_mock, "stop", stop, _restore)
    _replace(requests_mock, "_on_request", _on_request, _restore)
    moto_mock_env = getattr(mock_aws_class, "_mock_env_variables", None)

    def _mock_env_variables(self: Any) -> None:
        moto_mock_env(self)  # may save mock_kms's throwaway credentials as the values to restore
        _moto_environments.add(self)

    if moto_unmock_env is not None and moto_mock_env is not None:  # moto 5 (moto 4 works otherwise)
        _replace(mock_aws_class, "_unmock_env_variables", _unmock_env_variables, _restore)
        _replace(mock_aws_class, "_mock_env_variables", _mock_env_variables, _restore)


def unpatch() -> None:
    _put_back(_restore)


# moto activations that saved the environment while a mock_kms mock was active.
_moto_environments: weakref.WeakSet[Any] = weakref.WeakSet()


def give_back_environment(supplied: dict[str, str], saved: dict[str, str | None]) -> None:
    """A mock_kms mock stops while a moto ``mock_aws`` started after it is still active: moto saved
    mock_kms's throwaway credentials as the values to put back. Make it put back the user's."""
    for activation in list(_moto_environments):
        originals = getattr(activation, "_orig_creds", None)
        if not isinstance(originals, dict):
            continue
        for name, value in supplied.items():
            if originals.get(name) == value:
                originals[name] = saved.get(name)


# -- the switch: a mock_kms mock for the duration of every moto mock_aws ---------------------
class _Switch:
    """One mock_kms mock held by moto's activation and/or the ``kms_mock`` fixture."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.mock: KmsMock | None = None
        self.holders = 0
        # One entry per acquire, released last-in first-out: whether it holds the switch's mock
        # (False: a moto activation that found a mock of the test's own active).
        self.holds: list[bool] = []
        self.fresh = True  # moto's state was reset since the mock last ran
        self.moto_activations = 0
        self.installed: list[tuple[Any, str, Any]] = []

    def acquire(self, *, by_moto: bool) -> KmsMock:
        with self.lock:
            current = interception.active_mock()
            if by_moto and current is not None and current is not self.mock:
                # A mock_kms mock the test started itself is active: it keeps answering KMS, as it
                # would without the switch (a test that uses mock_kms explicitly inside mock_aws).
                self.holds.append(False)
                return current
            if self.mock is None:
                from mock_kms.mock import KmsMock

                self.mock = KmsMock()
            if not self.mock.active:
                if self.fresh:
                    self.mock.start()
                else:
                    self.mock._resume()  # moto kept its data (class decorator: remove_data=False)
                self.fresh = False
            self.holders += 1
            self.holds.append(True)
            self.moto_activations += by_moto
            return self.mock

    def release(self) -> None:
        with self.lock:
            if not self.holds:
                return  # a mock_aws already active when the switch was turned on
            if not self.holds.pop():
                return
            self.holders -= 1
            if self.holders == 0 and self.mock is not None:
                self.mock.stop()  # its state stays readable until the next start

    def new_test(self) -> None:
        """A test begins: a mock not running now starts fresh (the ``kms_mock`` fixture included)."""
        with self.lock:
            if self.mock is None or not self.mock.active:
                self.fresh = True

    def moto_reset(self) -> None:
        with self.lock:
            if self.mock is not None and self.mock.active:
                self.mock._reset_state()
            else:
                self.fresh = True


_switch = _Switch()


def new_test() -> None:
    _switch.new_test()


def _install_switch(models: Any) -> None:
    mock_aws_class = getattr(models, "MockAWS", None)
    if not all(hasattr(mock_aws_class, name) for name in ("_enable_patching", "_disable_patching")) or not hasattr(
        getattr(models, "BackendDict", None), "reset"
    ):
        _unsupported("the switch needs moto 5's MockAWS._enable_patching and BackendDict.reset")
        return
    enable, disable = mock_aws_class._enable_patching, mock_aws_class._disable_patching
    backend_dict = models.BackendDict
    reset_all = vars(backend_dict)["reset"].__func__

    def _enable_patching(self: Any, reset: bool = True) -> None:
        enable(self, reset=reset)  # a reset calls BackendDict.reset: marks the state fresh
        _switch.acquire(by_moto=True)

    def _disable_patching(self: Any, remove_data: bool) -> None:
        _switch.release()
        disable(self, remove_data)

    def reset_backends(cls: Any) -> None:
        reset_all(cls)
        _switch.moto_reset()

    with _switch.lock:
        _replace(mock_aws_class, "_enable_patching", _enable_patching, _switch.installed)
        _replace(mock_aws_class, "_disable_patching", _disable_patching, _switch.installed)
        _replace(backend_dict, "reset", classmethod(reset_backends), _switch.installed)


def enable_switch() -> None:
    """Every moto ``mock_aws`` activation also runs a mock_kms mock (now, or once moto is imported)."""
    if not _switch.installed:
        interception.call_on_import(MOTO_MODELS, _install_switch)


def disable_switch() -> None:
    """Undo :func:`enable_switch` and stop its mock."""
    interception.cancel_on_import(MOTO_MODELS)
    with _switch.lock:
        _put_back(_switch.installed)
        if _switch.mock is not None:
            _switch.mock.stop()
        _switch.mock, _switch.holders, _switch.fresh = None, 0, True
        _switch.holds.clear()


@contextmanager
def hold_switch_mock() -> Iterator[KmsMock]:
    """The switch's mock, active for the block: the ``kms_mock`` fixture while the switch is on.

    The same mock moto runs with, with the state moto's state goes with (kept after a class's
    ``setup_method``, fresh after a reset). When no moto activation came during the block, the next
    activation starts fresh, as a test of its own.
    """
    with _switch.lock:
        started_here, moto_activations = _switch.mock is None or not _switch.mock.active, _switch.moto_activations
        mock = _switch.acquire(by_moto=False)
    try:
        yield mock
    finally:
        with _switch.lock:
            _switch.release()
            if started_here and _switch.moto_activations == moto_activations:
                _switch.fresh = True


# -- the end-of-run list: which failures are KMS errors -------------------------------------
def kms_error(error: BaseException | None) -> str | None:
    """``"Code: message (Operation)"`` if ``error`` (or its cause/context) is a ClientError raised by
    a KMS client, else None. The client is found in the traceback frame that raised it."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        response = getattr(error, "response", None)
        if isinstance(response, dict) and "Error" in response and _raised_by_kms_client(error):
            details = response["Error"]
            operation = getattr(error, "operation_name", "?")
            message = details.get("Message")  # AWS sends some errors with an empty one
            return f"{details.get('Code')}: {message} ({operation})" if message else f"{details.get('Code')} ({operation})"
        error = error.__cause__ or error.__context__
    return None


def _raised_by_kms_client(error: BaseException) -> bool:
    traceback = error.__traceback__
    while traceback is not None:
        frame = traceback.tb_frame
        if frame.f_code.co_name == "_make_api_call":
            meta = getattr(frame.f_locals.get("self"), "meta", None)
            if getattr(getattr(meta, "service_model", None), "service_name", None) == "kms":
                return True
        traceback = traceback.tb_next
    return False
