"""Neurons' Fund matched funding (spec sns.md §3.6).

The NNS side (rs/nns/governance/src/neurons_fund.rs) reserves, when a
CreateServiceNervousSystem proposal is executed, the most the Neurons' Fund
could ever give: each fund neuron in proportion to its maturity. At commit the
swap reports its direct participation x; the fund gives the *effective*
amount: 0 below the threshold, else the ideal matching function f(x) capped
at the fund's maximum, shared among fund neurons in proportion to maturity,
where a neuron whose share is below the per-participant minimum drops out and
one above the per-participant maximum is capped (§3.6). Unused reserved
maturity is refunded; on abort all of it is.

The ideal matching function has the IC's anchor points
(`PolynomialMatchingFunction::new`): with the global cap G = 333,000 ICP
(MAX_THEORETICAL_NEURONS_FUND_PARTICIPATION_AMOUNT_ICP_E8S) and
cap = min(G, 10 % of the fund's total maturity), t1 = 10 % G, t2 = 30 % G,
t3 = 50 % G, t4 = 2 cap; f = 0 below t1, f(t2) = t2 / 2, f(t3) = t3 capped,
f = cap from t4 on. The current NNS takes t1, t2, t3 and G from its
`NeuronsFundEconomics` (contribution threshold, one-third and full
participation milestones, maximum theoretical participation, in XDR) at the
ICP/XDR rate (`from_economics`); icbox converts at the economics' minimum
ICP/XDR rate. Between the anchor points the IC uses cubic and quartic
polynomials; icbox joins them with straight lines (a deliberate
simplification: the same thresholds, monotone, same values at the anchors).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from replica.types import Principal

E8S: Final = 100_000_000
MAX_THEORETICAL_NEURONS_FUND_PARTICIPATION_AMOUNT_ICP_E8S: Final = 333_000 * E8S


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchingFunction:
    t1: int
    t2: int
    t3: int
    t4: int
    cap: int

    @classmethod
    def for_total_maturity(cls, total_maturity_e8s: int) -> MatchingFunction:
        g = MAX_THEORETICAL_NEURONS_FUND_PARTICIPATION_AMOUNT_ICP_E8S
        cap = min(g, total_maturity_e8s // 10)
        return cls(t1=g // 10, t2=3 * g // 10, t3=g // 2, t4=max(2 * cap, g // 2 + 1), cap=cap)

    @classmethod
    def from_economics(
        cls,
        *,
        contribution_threshold_xdr: int,
        one_third_participation_milestone_xdr: int,
        full_participation_milestone_xdr: int,
        max_theoretical_participation_xdr: int,
        icp_xdr_rate_basis_points: int,
        total_maturity_e8s: int,
    ) -> MatchingFunction:
        """The thresholds of the NNS's `NeuronsFundEconomics` (in XDR) at an ICP/XDR rate."""

        def icp_e8s(xdr: int) -> int:
            return xdr * E8S * 10_000 // icp_xdr_rate_basis_points

        cap = min(icp_e8s(max_theoretical_participation_xdr), total_maturity_e8s // 10)
        t3 = icp_e8s(full_participation_milestone_xdr)
        return cls(
            t1=icp_e8s(contribution_threshold_xdr),
            t2=icp_e8s(one_third_participation_milestone_xdr),
            t3=t3,
            t4=max(2 * cap, t3 + 1),
            cap=cap,
        )

    def apply(self, x: int) -> int:
        """f(x) in e8s: piecewise linear through (t1, 0), (t2, t2/2), (t3, t3), (t4, cap)."""
        points = [
            (self.t1, 0),
            (self.t2, min(self.cap, self.t2 // 2)),
            (self.t3, min(self.cap, self.t3)),
            (self.t4, self.cap),
        ]
        if x < self.t1:
            return 0
        if x >= self.t4:
            return self.cap
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            if x0 <= x < x1:
                value = y0 + (y1 - y0) * (x - x0) // (x1 - x0)
                return min(self.cap, max(y0, value), x)
        return self.cap


@dataclass(frozen=True, slots=True, kw_only=True)
class NeuronsFundConstraints:
    """What the swap is told at creation (`NeuronsFundParticipationConstraints`)."""

    min_direct_participation_threshold_icp_e8s: int
    max_neurons_fund_participation_icp_e8s: int
    matching: MatchingFunction

    def effective_icp_e8s(self, direct_icp_e8s: int) -> int:
        if direct_icp_e8s < self.min_direct_participation_threshold_icp_e8s:
            return 0
        return min(self.max_neurons_fund_participation_icp_e8s, self.matching.apply(direct_icp_e8s))


@dataclass(frozen=True, slots=True, kw_only=True)
class FundNeuron:
    """A Neurons' Fund neuron: its NNS id, controller and maturity (e8s)."""

    nns_neuron_id: int
    controller: Principal
    maturity_e8s: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FundPortion:
    nns_neuron_id: int
    controller: Principal
    amount_icp_e8s: int


def allocate(
    neurons: Sequence[FundNeuron],
    total_icp_e8s: int,
    *,
    min_participant_icp_e8s: int,
    max_participant_icp_e8s: int,
) -> list[FundPortion]:
    """Share `total_icp_e8s` among fund neurons in proportion to maturity; a share below the
    per-participant minimum drops out, a share above the maximum is capped."""
    total_maturity = sum(n.maturity_e8s for n in neurons)
    if total_maturity == 0 or total_icp_e8s == 0:
        return []
    portions = []
    for neuron in sorted(neurons, key=lambda n: n.nns_neuron_id):
        share = total_icp_e8s * neuron.maturity_e8s // total_maturity
        share = min(share, max_participant_icp_e8s, neuron.maturity_e8s)
        if share < min_participant_icp_e8s:
            continue
        portions.append(
            FundPortion(
                nns_neuron_id=neuron.nns_neuron_id,
                controller=neuron.controller,
                amount_icp_e8s=share,
            )
        )
    return portions
