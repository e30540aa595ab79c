"""Every flow by name."""

from __future__ import annotations

from dialogs.engine import Flow
from dialogs.flows import (
    complaint,
    council,
    documents,
    fixed,
    followup,
    idea,
    link,
    menu,
    mydata,
    onboarding,
    projects,
    report,
    survey,
)


def all_flows() -> dict[str, Flow]:
    flows = [onboarding.FLOW, menu.FLOW, report.FLOW, complaint.FLOW, idea.FLOW,
             idea.SUPPORT_FLOW, followup.FLOW, mydata.FLOW, council.FLOW, projects.FLOW,
             documents.FLOW, survey.FLOW, fixed.FLOW, link.FLOW]
    return {flow.name: flow for flow in flows}
