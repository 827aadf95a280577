"""Routing botocore's (and ``requests``') KMS traffic to the active mock.

botocore: ``Endpoint._send`` is patched once, at class level, so clients created before
the mock started are covered too. A request is KMS when its ``X-Amz-Target`` header
starts with ``TrentService.`` — whatever its URL (any region, FIPS, dual-stack, custom
``endpoint_url`` or ``AWS_ENDPOINT_URL_KMS``). Everything else goes to the network as usual.

Other copies of botocore's ``Endpoint`` are patched the same way while a mock is active:
aiobotocore's ``AioEndpoint._send`` (a coroutine, answered with an ``AioAWSResponse`` whose
body is read with ``await``) and the botocore that awscli >= 1.44 vendors as
``awscli.botocore``. Neither is imported by the mock: a module already loaded is patched at
``activate()``, one imported later (while a mock is active) is patched right after it loads,
by a small ``sys.meta_path`` hook, so users who don't use them pay nothing.

moto is adapted to the same way (mock_kms/moto_compat.py, ``_NEIGHBOURS`` below): its own
interception runs before ``Endpoint._send``, so it is told to step aside for KMS requests.
"""

from __future__ import annotations

import importlib
import importlib.abc
import inspect
import io
import re
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse
from botocore.endpoint import Endpoint

from mock_kms.wire.protocol import TARGET_PREFIX, handle_request
from mock_kms.wire.sigv4 import handle_signed

if TYPE_CHECKING:
    from mock_kms.mock import KmsMock

_lock = threading.RLock()
_active: list[KmsMock] = []
# botocore's own Endpoint._send, kept once seen: a call already inside _send on another thread
# when the last mock stops still finds it (never reset to None).
_original_send: Any = None
_patched = False  # Endpoint._send is _send


class _RawBody(io.BytesIO):
    """What botocore reads an AWSResponse body from."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        data = self.read()
        if data:
            yield data


def is_kms_target(target: Any) -> bool:
    if isinstance(target, bytes):
        return target.startswith(b"TrentService.")
    return isinstance(target, str) and target.startswith(TARGET_PREFIX)


def active_mock() -> KmsMock | None:
    return _active[-1] if _active else None


def _send(self: Endpoint, request: Any) -> AWSResponse:
    mock = _active[-1] if _active else None
    if mock is not None:
        headers = request.headers
        target = headers.get("X-Amz-Target")
        if is_kms_target(target):
            body = request.body
            if type(body) is not bytes and hasattr(body, "read"):  # a file-like body (rare for JSON)
                body = body.read()
            if mock.verify_signatures:  # mock_kms(verify_signatures=True): the whole request is needed
                response = handle_signed(mock, request.method, request.url, headers, body)
            else:  # The target is already read: skip handle()'s own header lookups.
                response = handle_request(mock, target, headers.get("Authorization"), body)
            return AWSResponse(request.url, response.status, response.headers, _RawBody(response.body))
    return _original_send(self, request)


def activate(mock: KmsMock) -> None:
    global _original_send, _patched
    with _lock:
        if not _active:
            _patch_other_endpoints()  # first: if it fails, Endpoint is left as it was
        if not _patched:
            _original_send = Endpoint._send
            Endpoint._send = _send
            _patched = True
        _active.append(mock)


def deactivate(mock: KmsMock) -> None:
    global _patched
    with _lock:
        if mock in _active:
            _active.remove(mock)
        if not _active:
            if _patched:
                Endpoint._send = _original_send
                _patched = False
            _unpatch_other_endpoints()


# -- aiobotocore and awscli's vendored botocore ----------------------------------------------
# module holding the Endpoint class -> (class name, kind). Patched only if the user loads them.
_OTHER_ENDPOINTS: dict[str, tuple[str, str]] = {
    # botocore itself, imported anew after its modules were dropped from sys.modules (pytester's
    # in-process runs do that): the new copy's Endpoint is patched like a vendored one.
    "botocore.endpoint": ("Endpoint", "sync"),
    "aiobotocore.endpoint": ("AioEndpoint", "async"),
    "awscli.botocore.endpoint": ("Endpoint", "sync"),
}
_other_originals: dict[type, Any] = {}  # patched class -> its own original _send


class _AsyncRawBody:
    """What aiobotocore's ``AioAWSResponse`` reads a body from (``await raw.read()``)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self, amt: int | None = None) -> bytes:
        if amt is None or amt < 0:
            data, self._data = self._data, b""
        else:
            data, self._data = self._data[:amt], self._data[amt:]
        return data

    aread = read

    def release(self) -> None:  # aiohttp-style cleanup calls are harmless no-ops
        pass

    close = release


def _body_bytes(body: Any) -> Any:
    if hasattr(body, "read"):
        body = body.read()
    return body


def _aio_send_for(original: Any) -> Any:
    async def _aio_send(self: Any, request: Any) -> Any:
        mock = _active[-1] if _active else None
        if mock is not None and is_kms_target(request.headers.get("X-Amz-Target")):
            body = _body_bytes(request.body)
            if inspect.isawaitable(body):  # an async stream body
                body = await body
            response = handle_signed(mock, request.method, request.url, request.headers, body)
            from aiobotocore.awsrequest import AioAWSResponse

            return AioAWSResponse(request.url, response.status, response.headers, _AsyncRawBody(response.body))
        return await original(self, request)

    return _aio_send


def _sync_send_for(original: Any, response_cls: Any) -> Any:
    def _vendored_send(self: Any, request: Any) -> Any:
        mock = _active[-1] if _active else None
        if mock is not None and is_kms_target(request.headers.get("X-Amz-Target")):
            response = handle_signed(mock, request.method, request.url, request.headers, _body_bytes(request.body))
            return response_cls(request.url, response.status, response.headers, _RawBody(response.body))
        return original(self, request)

    return _vendored_send


def _patch_endpoint_module(module_name: str, module: Any) -> None:
    """Patch the Endpoint class of one loaded module (no-op if already patched or unknown)."""
    class_name, kind = _OTHER_ENDPOINTS[module_name]
    cls = getattr(module, class_name, None)
    if cls is None or cls is Endpoint or cls in _other_originals or "_send" not in vars(cls):
        return  # e.g. awscli.botocore aliased to the botocore already patched above
    original = _other_originals[cls] = vars(cls)["_send"]
    if kind == "async":
        cls._send = _aio_send_for(original)
    else:  # answered with the response class of the same botocore copy as the endpoint
        awsrequest = sys.modules.get(module_name.rsplit(".", 1)[0] + ".awsrequest")
        cls._send = _sync_send_for(original, getattr(awsrequest, "AWSResponse", AWSResponse))


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Patches an endpoint module the moment it is imported while a mock is active."""

    def __init__(self) -> None:
        self._busy: set[str] = set()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname in self._busy or (
            fullname not in _OTHER_ENDPOINTS
            and fullname not in _REQUESTS_MODULES
            and fullname not in _NEIGHBOURS
            and fullname not in _on_import
        ):
            return None
        self._busy.add(fullname)
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self._busy.discard(fullname)
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _PatchingLoader(spec.loader, fullname)
        return spec


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, loader: Any, fullname: str) -> None:
        self._loader = loader
        self._fullname = fullname

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        if self._fullname in _REQUESTS_MODULES:
            _requests_imported(self._fullname)
            return
        with _lock:
            callback = _on_import.pop(self._fullname, None)
        if callback is not None:
            callback(module)  # outside the lock: it may take locks of its own
        with _lock:
            if _active and self._fullname in _NEIGHBOURS:
                _patch_neighbour(self._fullname, module)
            elif _active and self._fullname in _OTHER_ENDPOINTS:
                _patch_endpoint_module(self._fullname, module)

    def __getattr__(self, name: str) -> Any:  # get_source, is_package, ... for tracebacks and inspect
        return getattr(self._loader, name)


_import_hook = _PatchAfterImport()


# -- libraries that answer botocore themselves (moto): told to step aside for KMS ----------
# module that defines their interception -> adapter module with patch(module) and unpatch().
_NEIGHBOURS: dict[str, str] = {"moto.core.models": "mock_kms.moto_compat"}
_patched_neighbours: dict[str, Any] = {}  # module name -> its adapter, while patched
# module name -> called once, right after it is imported (mock_kms's switch for moto).
_on_import: dict[str, Callable[[Any], None]] = {}


def _patch_neighbour(module_name: str, module: Any) -> None:
    if module_name not in _patched_neighbours:
        adapter = importlib.import_module(_NEIGHBOURS[module_name])
        adapter.patch(module)
        _patched_neighbours[module_name] = adapter


def call_on_import(module_name: str, callback: Callable[[Any], None]) -> None:
    """Call ``callback(module)`` now if ``module_name`` is loaded, else right after its import."""
    with _lock:
        module = sys.modules.get(module_name)
        if module is None:
            _on_import[module_name] = callback
            if _import_hook not in sys.meta_path:
                sys.meta_path.insert(0, _import_hook)
            return
    callback(module)


def cancel_on_import(module_name: str) -> None:
    with _lock:
        _on_import.pop(module_name, None)
        if not _on_import and not _active and not _pending_requests and _import_hook in sys.meta_path:
            sys.meta_path.remove(_import_hook)


def _patch_other_endpoints() -> None:
    for module_name in _OTHER_ENDPOINTS:
        module = sys.modules.get(module_name)
        if module is not None:
            _patch_endpoint_module(module_name, module)
    for module_name in _NEIGHBOURS:
        module = sys.modules.get(module_name)
        if module is not None:
            _patch_neighbour(module_name, module)
    if _import_hook not in sys.meta_path:
        sys.meta_path.insert(0, _import_hook)


def _unpatch_other_endpoints() -> None:
    if _import_hook in sys.meta_path and not _on_import:
        sys.meta_path.remove(_import_hook)
    for adapter in _patched_neighbours.values():
        adapter.unpatch()
    _patched_neighbours.clear()
    for cls, original in _other_originals.items():
        cls._send = original
    _other_originals.clear()


# -- requests (hand-signed calls to the KMS endpoint), through `responses` -------------------
_ANY_URL = re.compile(r".*")


def _requests_matcher(request: Any) -> tuple[bool, str]:
    if is_kms_target(request.headers.get("X-Amz-Target")):
        return True, ""
    return False, "not a KMS request"


# A mock is activated without importing `requests` and `responses` (~80 ms, most of a cold
# start) when `requests` is not loaded yet: its `requests` interception starts the moment
# `requests` is imported (the import hook above), if the mock is still active then. When
# `responses` itself is what imports `requests`, the start waits until `responses` is loaded.
_REQUESTS_MODULES = frozenset({"requests", "responses"})
_finished: set[str] = set()  # modules of _REQUESTS_MODULES the import hook saw finish loading
_pending_requests: list[tuple[KmsMock, Callable[[Any], None]]] = []


def _loaded(name: str) -> bool:
    if name in _finished:
        return True
    module = sys.modules.get(name)
    return module is not None and not getattr(getattr(module, "__spec__", None), "_initializing", False)


def _requests_ready() -> bool:
    """`requests` is loaded, and `responses` is either loaded or not being imported."""
    return _loaded("requests") and ("responses" not in sys.modules or _loaded("responses"))


def intercept_requests(mock: KmsMock, started: Callable[[Any], None]) -> Any:
    """Answer ``mock``'s KMS requests made with ``requests``. If ``requests`` is loaded, start
    now and return the handle to stop; else return None and, when ``requests`` is imported,
    start then and pass the handle to ``started``."""
    with _lock:
        if not _requests_ready():
            _pending_requests.append((mock, started))
            if _import_hook not in sys.meta_path:
                sys.meta_path.insert(0, _import_hook)
            return None
    return start_requests_mock(mock)


def cancel_requests_interception(mock: KmsMock) -> None:
    """``mock`` stops before ``requests`` was ever imported: nothing to start any more."""
    with _lock:
        _pending_requests[:] = [entry for entry in _pending_requests if entry[0] is not mock]


def _requests_imported(name: str) -> None:
    with _lock:
        _finished.add(name)
        if not _requests_ready():
            return  # `responses` is importing `requests`: wait for `responses`
        pending = list(_pending_requests)
        _pending_requests.clear()
    for mock, started in pending:  # in activation order, as if each had started it itself
        started(start_requests_mock(mock))


def start_requests_mock(mock: KmsMock) -> Any:
    """Answer KMS requests made with ``requests``; pass every other request through."""
    import requests.adapters
    import responses

    # Passing through to whatever `send` is installed now keeps an outer `responses` mock working.
    requests_mock = responses.RequestsMock(
        assert_all_requests_are_fired=False, real_adapter_send=requests.adapters.HTTPAdapter.send
    )

    def callback(request: Any) -> tuple[int, dict[str, str], bytes]:
        response = handle_signed(mock, request.method, request.url, request.headers, request.body)
        return response.status, response.headers, response.body

    requests_mock.add_callback("POST", _ANY_URL, callback=callback, match=[_requests_matcher])
    requests_mock.add_passthru(_ANY_URL)
    requests_mock.start()
    return requests_mock


def _requests_mock_of(send: Any) -> Any:
    """The ``responses.RequestsMock`` whose patch of ``HTTPAdapter.send`` this is, or None."""
    for cell in getattr(send, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if hasattr(value, "_patcher") and hasattr(value, "_on_request"):
            return value
    return None


def detach_requests_patch(requests_mock: Any) -> None:
    """Before ``requests_mock.stop()``: if another ``responses`` mock patched ``HTTPAdapter.send``
    after it and is still on (moto's and mock_kms's, stopped in the other order), hand that one
    what ``requests_mock`` replaced. Unpatching now would remove the later patch too, and the later
    stop would then put this stale one back for good."""
    import requests.adapters

    patcher = requests_mock._patcher
    if patcher is None or not hasattr(patcher, "temp_original"):
        return
    mine = patcher.new
    above = _requests_mock_of(requests.adapters.HTTPAdapter.send)
    while above is not None and above is not requests_mock and above._patcher is not None:
        above_patcher = above._patcher
        beneath = getattr(above_patcher, "temp_original", None)
        if beneath is mine:
            above_patcher.temp_original = patcher.temp_original
            if above._real_send is mine:  # its pass-through went to the patch that goes away
                above._real_send = patcher.temp_original
            requests_mock._patcher = None  # nothing of its own left in place to undo
            return
        above = _requests_mock_of(beneath)


def stop_requests_mock(requests_mock: Any) -> None:
    detach_requests_patch(requests_mock)
    requests_mock.stop(allow_assert=False)
