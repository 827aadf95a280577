"""``@mock_kms`` on a plain (non-``unittest``) test class, as moto's class decorator behaves.

Each test gets one fresh mock that spans ``setup_method``, the test and ``teardown_method`` (and the
nose-style ``setup`` / ``teardown``), so what setup made is what the test sees. The mock starts in
``setup_method`` — added when the class has none, so function-scoped fixtures defined as methods
run inside it too (a class-scoped one runs before it, in a fresh mock of its own) — and stops after
``teardown_method``; a nose-style ``teardown`` stops only a mock its own ``setup`` started. Every other public method (helpers, class and static
methods) runs in the test's mock when one is active, else in a fresh mock of its own: nothing any
method of the class sends to KMS leaves the process.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_kms.mock import KmsMock

_MOCK = "_mock_kms_test_mock"  # the instance attribute holding the test's mock
_WRAPPED = "_mock_kms_wrapped"
_STARTED_BY = "_mock_kms_started_by"  # the name of the setup hook that started the test's mock
_NOTHING = object()
# (setup, teardown) pairs: pytest's, then nose-style (added only when the class has one of the two).
_PAIRS = (("setup_method", "teardown_method"), ("setup", "teardown"))


def decorate_plain_class(cls: type, fresh: Callable[[], KmsMock]) -> type:
    hooks = {name for pair in _PAIRS for name in pair}
    for name in dir(cls):
        if name.startswith("_") or name in hooks:
            continue
        member = inspect.getattr_static(cls, name)
        if isinstance(member, (staticmethod, classmethod)):
            if inspect.isfunction(member.__func__) and not getattr(member.__func__, _WRAPPED, False):
                setattr(cls, name, type(member)(_in_fresh_mock(member.__func__, fresh)))
        elif inspect.isfunction(member) and not getattr(member, _WRAPPED, False):
            setattr(cls, name, _in_test_mock(member, fresh))
        elif hasattr(member, "_fixture_function_marker") and hasattr(member, "_fixture_function"):
            # A fixture method under pytest >= 8.4 (an object, no longer a function): its function
            # is wrapped and made a fixture again. A class-scoped one runs before the test's mock
            # starts, so in a fresh mock of its own: its KMS calls never leave the process.
            function = member._fixture_function
            if not getattr(function, _WRAPPED, False):
                setattr(cls, name, member._fixture_function_marker(_in_test_mock(function, fresh)))
    for setup_name, teardown_name in _PAIRS:
        setup, teardown = getattr(cls, setup_name, None), getattr(cls, teardown_name, None)
        if setup_name == "setup_method" or setup is not None or teardown is not None:
            setattr(cls, setup_name, _setup(setup, fresh, setup_name))
            setattr(cls, teardown_name, _teardown(teardown, fresh, setup_name))
    return cls


def _running(instance: Any) -> KmsMock | None:
    mock = getattr(instance, _MOCK, None)
    return mock if mock is not None and mock.active else None


def _call(hook: Callable[..., Any] | None, instance: Any, method: Any) -> Any:
    """Call a setup/teardown hook with pytest's optional ``method`` argument, as pytest does."""
    if hook is None:
        return None
    code = getattr(hook, "__code__", None)
    if code is not None and code.co_argcount > 1:
        return hook(instance, method)
    return hook(instance)


def _setup(hook: Callable[..., Any] | None, fresh: Callable[[], KmsMock], name: str) -> Callable[..., None]:
    def setup(self: Any, method: Any = None) -> None:
        started = _running(self) is None
        if started:
            setattr(self, _MOCK, fresh().start())
            setattr(self, _STARTED_BY, name)
        try:
            _call(hook, self, method)
        except BaseException:
            if started:
                getattr(self, _MOCK).stop()
            raise

    return _mark(setup, hook)


def _teardown(hook: Callable[..., Any] | None, fresh: Callable[[], KmsMock], setup_name: str) -> Callable[..., Any]:
    def teardown(self: Any, method: Any = None) -> Any:
        running = _running(self)
        # Only the pair whose setup started the test's mock stops it: a helper that happens to be
        # called ``teardown`` (pytest 8 no longer calls nose's pair) leaves the test's mock running.
        owner = running is not None and getattr(self, _STARTED_BY, None) == setup_name
        mock = running if running is not None else fresh().start()  # a teardown without setup runs mocked too
        try:
            return _call(hook, self, method)
        finally:
            if owner or running is None:
                mock.stop()

    return _mark(teardown, hook)


def _in_test_mock(func: Callable[..., Any], fresh: Callable[[], KmsMock]) -> Callable[..., Any]:
    """A method: inside the instance's test mock when active, else in a fresh mock."""
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_method(self: Any, *args: Any, **kwargs: Any) -> Any:
            if _running(self) is not None:
                return await func(self, *args, **kwargs)
            with fresh():
                return await func(self, *args, **kwargs)

        return _mark(async_method)

    if inspect.isgeneratorfunction(func):  # its body runs when iterated: the mock must last that long

        @functools.wraps(func)
        def generator_method(self: Any, *args: Any, **kwargs: Any) -> Any:
            if _running(self) is not None:
                return (yield from func(self, *args, **kwargs))
            with fresh():
                return (yield from func(self, *args, **kwargs))

        return _mark(generator_method)

    @functools.wraps(func)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _running(self) is not None:
            return func(self, *args, **kwargs)
        with fresh():
            return func(self, *args, **kwargs)

    return _mark(method)


def _in_fresh_mock(func: Callable[..., Any], fresh: Callable[[], KmsMock]) -> Callable[..., Any]:
    """A class or static method: in the active mock if any, else in a fresh mock of its own.

    The first parameter is explicit: pytest calls ``setup_class``'s function with ``cls`` only if
    its code takes a positional argument."""
    from mock_kms.interception import active_mock

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_function(*args: Any, **kwargs: Any) -> Any:
            if active_mock() is not None:
                return await func(*args, **kwargs)
            with fresh():
                return await func(*args, **kwargs)

        return _mark(async_function)

    code = func.__code__
    takes_first = code.co_argcount > 0 or bool(code.co_flags & inspect.CO_VARARGS)

    @functools.wraps(func)
    def function(first: Any = _NOTHING, *args: Any, **kwargs: Any) -> Any:
        if first is not _NOTHING:
            args = (first, *args)
        if active_mock() is not None:
            return func(*args, **kwargs)
        with fresh():
            return func(*args, **kwargs)

    @functools.wraps(func)
    def no_argument(**kwargs: Any) -> Any:
        if active_mock() is not None:
            return func(**kwargs)
        with fresh():
            return func(**kwargs)

    return _mark(function if takes_first else no_argument)


def _mark(wrapper: Any, hook: Callable[..., Any] | None = None) -> Any:
    setattr(wrapper, _WRAPPED, True)
    if hook is not None:
        functools.update_wrapper(wrapper, hook, updated=())
        del wrapper.__wrapped__  # pytest must see this signature (self, method), not the hook's
    return wrapper
