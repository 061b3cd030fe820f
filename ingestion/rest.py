"""What the GitHub and GitLab REST clients share: bounded retries, rate limits waited out, and errors whose
messages say what to fix (never a credential).

Each client subclasses `RestClient` and says only what differs: its error classes, how its rate limits are
announced, and what a 401/403/404 means for its configuration.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import orjson
import requests

logger = logging.getLogger(__name__)


class RateLimitedError(RuntimeError):
    """The service asked the client to wait `wait_seconds` before the next request."""

    def __init__(self, message: str, wait_seconds: float) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


@dataclass
class RestClient:
    """A GET-only REST client with bounded retries for 5xx, timeouts and dropped connections.

    Rate limits are waited out and do not use up attempts, unless the wait exceeds `max_rate_limit_wait`.
    """

    access_token: str | None = field(repr=False)  # a secret: out of the repr
    base_url: str
    timeout: float
    max_attempts: int
    backoff_seconds: float
    max_rate_limit_wait: float
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    service: ClassVar[str] = "the tracker"
    error: ClassVar[type[Exception]] = RuntimeError
    auth_error: ClassVar[type[Exception]] = RuntimeError
    transient_error: ClassVar[type[Exception]] = RuntimeError
    # 404 or 410: what was asked for does not exist (a wrong name in the settings; or an item deleted or
    # transferred after it was listed, which the sources leave out of the run).
    not_found_error: ClassVar[type[Exception]] = RuntimeError

    @property
    def api_url(self) -> str:
        return self.base_url

    def rate_limit_wait(self, response: requests.Response) -> float | None:
        """Seconds to wait when `response` says a rate limit was hit, else None."""
        return None

    def auth_message(self, status: int, path: str) -> str:
        return f"{self.service} at {self.base_url} answered {status} to {path}: check the access token."

    def not_found_message(self, status: int, path: str) -> str:
        return f"{self.service} answered {status} to {path}: check the configured projects."

    def after_response(self, response: requests.Response) -> None:
        """A hook to pace requests on the headers of a successful response."""

    def request(self, url: str, params: dict[str, Any] | None = None) -> requests.Response:
        """GET with bounded retries; rate limits are waited out and do not use up attempts."""
        failures = 0
        while True:
            try:
                return self._request_once(url, params)
            except RateLimitedError as limited:
                if limited.wait_seconds > self.max_rate_limit_wait:
                    raise self.error(
                        f"{limited} and asks to wait {limited.wait_seconds:.0f} s, more than the "
                        f"{self.max_rate_limit_wait:.0f} s allowed; run again later."
                    ) from None
                logger.warning("%s; waiting %.0f s", limited, limited.wait_seconds)
                self.sleep(limited.wait_seconds)
            except self.transient_error as error:
                failures += 1
                if failures >= self.max_attempts:
                    raise
                wait = min(self.backoff_seconds * 2 ** (failures - 1), 30.0)
                logger.warning("%s request failed (%s); retrying in %.1f s", self.service, error, wait)
                self.sleep(wait)

    def json(self, response: requests.Response, path: str) -> Any:
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as error:
            raise self.error(f"GET {path} returned a body that is not valid JSON") from error

    def _request_once(self, url: str, params: dict[str, Any] | None) -> requests.Response:
        path = url.removeprefix(self.api_url).split("?")[0]
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.Timeout as error:
            raise self.transient_error(f"GET {path} timed out after {self.timeout:.0f} s") from error
        except requests.RequestException as error:
            failure = type(error).__name__
            raise self.transient_error(f"cannot read {path} from {self.base_url} ({failure})") from error
        status = response.status_code
        wait = self.rate_limit_wait(response)
        if wait is not None:
            raise RateLimitedError(f"{self.service} rate limit hit on {path} ({status})", wait)
        if status in (401, 403):
            raise self.auth_error(self.auth_message(status, path))
        if status in (404, 410):
            raise self.not_found_error(self.not_found_message(status, path))
        if status >= 500:
            raise self.transient_error(f"GET {path} answered {status}")
        if status >= 400:
            raise self.error(f"GET {path} answered {status}: {response.text[:300]}")
        self.after_response(response)
        return response
