"""A plan of 3,000 events: the plan page is usable within a second on localhost.

"Usable" is measured in the browser, from the start of the navigation (``performance.now()`` is 0
there) to the moment the first page of events is on screen and the filter answers: the page loads
index.html and its modules, signs in with the stored token, fetches the plan and the first page of
events (the API paginates: 50 at a time), and renders them. Then a filter is typed and timed until
its result is on screen. The figures are printed (run with ``-s`` or read the report); the test
asserts only a sanity bound (benchmarks report, they do not fail on timing).
"""

from __future__ import annotations

from typing import Any

from conftest import ADMIN, Server, check_a11y

EVENTS = 3000
SANITY_MS = 10_000


def _plan() -> dict[str, Any]:
    areas = ("checkout", "browsing", "cart", "account", "search")
    events = {
        f"Widget {i:04d} Viewed": {
            "description": f"Widget {i} was viewed.", "owner": f"team-{i % 7}@example.com",
            "labels": {"area": areas[i % len(areas)]},
            "properties": {"widget_id": {"type": "string", "required": True, "description": "Which widget."},
                           "position": {"type": "integer", "minimum": 0, "description": "Slot on the page."},
                           "variant": {"type": "string", "enum": ["a", "b"], "description": "A/B variant."}},
        } for i in range(EVENTS)
    }
    return {"name": "huge", "description": "Three thousand events.", "events": events}


def test_a_plan_of_3000_events_is_usable_within_a_second(page: Any, server: Server, shoot: Any,
                                                         record_property: Any) -> None:
    created = server.admin.post("/api/v1/plans", json=_plan())
    assert created.status_code == 201, created.text
    assert server.admin.post("/api/v1/plans/huge/versions", json={"message": "big"}).status_code == 201
    page.goto(f"{server.url}/")
    page.evaluate(f"() => sessionStorage.setItem('governance.token', '{ADMIN}')")
    figures = []
    for _attempt in range(3):  # best of three: the first also warms the server's caches
        page.goto(f"{server.url}/#/plans/huge")
        page.reload()
        page.get_by_text(f"{EVENTS:,} events").wait_for()
        page.locator("li.event").nth(49).wait_for()
        figures.append(page.evaluate("() => performance.now()"))
    usable_ms = min(figures)
    started = page.evaluate("() => performance.now()")
    page.get_by_label("Name or description").fill("widget 2999")
    page.wait_for_function("() => [...document.querySelectorAll('li.event .event-name')].map(e => e.textContent)"
                           ".join() === 'Widget 2999 Viewed'")
    filtered_ms = page.evaluate("() => performance.now()") - started  # includes the 250 ms debounce
    assert page.locator("li.event").count() == 1
    page.get_by_label("Name or description").fill("")
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Showing 51–100 of 3,000").wait_for()
    check_a11y(page, "plan of 3,000 events")
    shoot(page, "plan-3000-events", full_page=False)
    report = (f"plan of {EVENTS:,} events: usable {usable_ms:.0f} ms after navigation start "
              f"(best of {figures and len(figures)}: {', '.join(f'{f:.0f}' for f in figures)} ms); "
              f"a filter answered in {filtered_ms:.0f} ms (250 ms of it is the debounce)")
    print(report)
    record_property("plan_3000_usable_ms", round(usable_ms))
    record_property("plan_3000_filter_ms", round(filtered_ms))
    assert usable_ms < SANITY_MS, report
