"""How long a failing e-mail is waited for: the pure backoff rules, no I/O."""

from __future__ import annotations

import pytest
from rtw_notifications.domain import retry_delay_s, seconds_tried_for

pytestmark = pytest.mark.unit


def test_the_delay_doubles_from_the_base_after_each_try_up_to_the_cap() -> None:
    delays = [retry_delay_s(n, base_s=5, cap_s=30) for n in range(0, 6)]

    assert delays == [0.0, 5.0, 10.0, 20.0, 30.0, 30.0]  # nothing tried yet: no wait


def test_a_message_is_tried_for_the_sum_of_the_delays_between_its_tries() -> None:
    # Four tries: waits after the first, second and third; the fourth is the last.
    assert seconds_tried_for(4, base_s=5, cap_s=3600) == 5 + 10 + 20
    assert seconds_tried_for(1, base_s=5, cap_s=3600) == 0
