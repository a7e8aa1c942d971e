"""The type of ``session.stats()``."""

from typing import TypedDict


class SessionStats(TypedDict):
    """What a session counted since it was made (the core's figures), and its state now."""

    #: Login requests this session sent (every attempt counts, retries too).
    logins: int
    #: Background renewals started.
    renewals: int
    #: Background renewals that failed.
    renewal_failures: int
    #: Callers that had to wait for a login (the one that started it included).
    waits: int
    #: End of the current failed-login back-off, ms since the Unix epoch; 0 when none.
    backoff_until_ms: int
    #: The current token's ``expiresAt`` (ms since the Unix epoch); 0 when there is none.
    expires_at_ms: int
