"""`icbox sns`: the SNSs of the network, their swaps, neurons and proposals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tui.cli.common import Cli, confirm, operation, table
from tui.cli.lazy import lazy_module

if TYPE_CHECKING:
    from tui.ops import durations, ledger
    from tui.ops import sns as ops
    from tui.ops import sns_governance as dao
else:
    ops = lazy_module("tui.ops.sns")
    dao = lazy_module("tui.ops.sns_governance")
    ledger = lazy_module("tui.ops.ledger")
    durations = lazy_module("tui.ops.durations")


@click.group()
def sns() -> None:
    """SNSs: a DAO for each dapp, launched by an NNS proposal, with its swap.

    SNS names an SNS by a canister id of it, its number in `icbox sns list` or its token symbol.
    NEURON is an SNS neuron id (64 hex digits).

    \b
    Examples:
      icbox sns list
      icbox sns show DRAG --json
      icbox sns participate DRAG 12.5 --yes
      icbox sns neuron list DRAG
      icbox sns proposal vote DRAG 3 --neuron 9f1c... --yes
    """


def _swap_line(swap: Any) -> str:
    shown = f"{swap.lifecycle}: {ledger.format_icp(swap.direct_icp_e8s)} ICP direct"
    if swap.max_direct_icp_e8s:
        shown += f" of {ledger.format_icp(swap.max_direct_icp_e8s)} ({swap.percent_of_max:.1f} %)"
    if swap.neurons_fund_icp_e8s:
        shown += f", {ledger.format_icp(swap.neurons_fund_icp_e8s)} ICP from the Neurons' Fund"
    return shown + f", {swap.direct_participants} participant(s)"


@sns.command("list")
@operation
def list_(cli: Cli) -> None:
    """Every SNS SNS-W deployed, oldest first, with its swap's progress."""
    summaries = ops.list_snses(cli.session)
    cli.emit(
        {"snses": [s.to_json() for s in summaries]},
        lambda: table(
            None,
            ["#", "symbol", "name", "root", "swap"],
            [
                [s.number, s.symbol, s.name, s.canisters.root.to_text(), _swap_line(s.swap)]
                for s in summaries
            ],
        ),
    )


@sns.command()
@click.argument("sns_name", metavar="SNS")
@operation
def show(cli: Cli, sns_name: str) -> None:
    """One SNS: its canisters, token, swap, DAO mode and the identity's participation."""
    details = ops.show_sns(cli.session, sns_name)

    def render() -> None:
        summary = details.summary
        click.echo(f"{summary.name} ({summary.symbol}), SNS #{summary.number}, {details.mode}")
        for role, canister in summary.canisters.to_json().items():
            click.echo(f"  {role:<10} {canister}")
        for dapp in details.dapps:
            click.echo(f"  dapp       {dapp}")
        click.echo(f"swap: {_swap_line(summary.swap)}")
        click.echo(
            f"token: supply {ledger.format_icp(details.total_supply_e8s)}, fee "
            f"{ledger.format_icp(details.fee_e8s)}; {details.neuron_count} neuron(s), "
            f"{details.proposal_count} proposal(s)"
        )
        click.echo(f"you took part with {ledger.format_icp(details.my_participation_icp_e8s)} ICP")

    cli.emit(details.to_json(), render)


@sns.command()
@click.argument("sns_name", metavar="SNS")
@click.argument("amount")
@click.option("--yes", "assume_yes", is_flag=True, help="Do not ask for confirmation.")
@operation
def participate(cli: Cli, sns_name: str, amount: str, assume_yes: bool) -> None:
    """Buy into SNS's open swap with AMOUNT ICP (a ticket, the transfer, the refresh)."""
    amount_e8s = ledger.parse_icp(amount)
    question = (
        f"Send {ledger.format_icp(amount_e8s)} ICP (plus the ICP fee) to the swap of {sns_name}?"
    )
    if not confirm(cli, question, yes=assume_yes):
        raise click.Abort
    result = ops.participate(cli.session, sns_name, amount_e8s)
    cli.emit(
        result.to_json(),
        lambda: click.echo(
            f"took part with {ledger.format_icp(result.amount_icp_e8s)} ICP (block "
            f"{result.block_index}, fee {ledger.format_icp(result.fee_e8s)}); the swap counts "
            f"{ledger.format_icp(result.accepted_icp_e8s)} ICP of yours"
        ),
    )


@sns.command()
@click.argument("sns_name", metavar="SNS")
@operation
def finalize(cli: Cli, sns_name: str) -> None:
    """Finalize SNS's decided swap (or resume a finalization that stopped)."""
    cli.emit(ops.finalize(cli.session, sns_name))


# -- neurons ----------------------------------------------------------------------------------


@sns.group()
def neuron() -> None:
    """The SNS's neurons (ids are 64 hex digits)."""


NEURON_COLUMNS = ["id", "stake", "maturity", "dissolve delay (s)", "from NNS neuron"]


def _neuron_rows(views: list[Any]) -> list[list[Any]]:
    return [
        [
            v.id,
            ledger.format_icp(v.stake_e8s),
            ledger.format_icp(v.maturity_e8s),
            "dissolving" if v.dissolve_delay_seconds is None else v.dissolve_delay_seconds,
            "" if v.source_nns_neuron_id is None else v.source_nns_neuron_id,
        ]
        for v in views
    ]


@neuron.command("list")
@click.argument("sns_name", metavar="SNS")
@click.option("--all", "every", is_flag=True, help="Every neuron, not only the identity's.")
@operation
def neuron_list(cli: Cli, sns_name: str, every: bool) -> None:
    """The neurons the identity holds a permission on (or every neuron)."""
    views = dao.list_neurons(cli.session, sns_name, mine=not every)
    cli.emit(
        {"neurons": [v.to_json() for v in views]},
        lambda: table(None, NEURON_COLUMNS, _neuron_rows(views)),
    )


@neuron.command("show")
@click.argument("sns_name", metavar="SNS")
@click.argument("neuron_id", metavar="NEURON")
@operation
def neuron_show(cli: Cli, sns_name: str, neuron_id: str) -> None:
    """One neuron: stake, maturity, dissolve state, permissions and followees."""
    view = dao.get_neuron(cli.session, sns_name, dao.parse_neuron_id(neuron_id))
    cli.emit(view.to_json())


@neuron.command("follow")
@click.argument("sns_name", metavar="SNS")
@click.argument("neuron_id", metavar="NEURON")
@click.option("--topic", required=True, help="e.g. governance, dao-community-settings.")
@click.option("--followee", "followees", multiple=True, help="A followee's id (repeatable).")
@operation
def neuron_follow(
    cli: Cli, sns_name: str, neuron_id: str, topic: str, followees: tuple[str, ...]
) -> None:
    """Follow neurons on a topic (no --followee: stop following on it)."""
    view = dao.follow(
        cli.session,
        sns_name,
        dao.parse_neuron_id(neuron_id),
        dao.parse_topic(topic),
        [dao.parse_neuron_id(f) for f in followees],
    )
    cli.emit(view.to_json(), lambda: click.echo(f"neuron {view.id} follows {view.followees}"))


@neuron.command("increase-dissolve-delay")
@click.argument("sns_name", metavar="SNS")
@click.argument("neuron_id", metavar="NEURON")
@click.argument("delay")
@operation
def neuron_increase_dissolve_delay(cli: Cli, sns_name: str, neuron_id: str, delay: str) -> None:
    """Add DELAY (seconds, or 30d, 6mo, 1y in the SNS's own seconds) to the dissolve delay."""
    seconds = durations.parse_duration(delay).seconds(1)
    view = dao.increase_dissolve_delay(
        cli.session, sns_name, dao.parse_neuron_id(neuron_id), seconds
    )
    cli.emit(
        view.to_json(),
        lambda: click.echo(f"neuron {view.id}: dissolve delay {view.dissolve_delay_seconds} s"),
    )


# -- proposals --------------------------------------------------------------------------------


@sns.group()
def proposal() -> None:
    """The SNS's proposals."""


PROPOSAL_COLUMNS = ["id", "status", "topic", "title", "yes", "no"]


def _proposal_rows(views: list[Any]) -> list[list[Any]]:
    return [
        [
            v.id,
            v.status,
            v.topic,
            v.title,
            ledger.format_icp(v.yes_e8s),
            ledger.format_icp(v.no_e8s),
        ]
        for v in views
    ]


@proposal.command("list")
@click.argument("sns_name", metavar="SNS")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--before", type=int, default=None, help="Only proposals with a smaller id.")
@operation
def proposal_list(cli: Cli, sns_name: str, limit: int, before: int | None) -> None:
    """Proposals, newest first."""
    views = dao.list_proposals(cli.session, sns_name, limit=limit, before=before)
    cli.emit(
        {"proposals": [v.to_json() for v in views]},
        lambda: table(None, PROPOSAL_COLUMNS, _proposal_rows(views)),
    )


@proposal.command("show")
@click.argument("sns_name", metavar="SNS")
@click.argument("proposal_id", type=int)
@operation
def proposal_show(cli: Cli, sns_name: str, proposal_id: int) -> None:
    """One proposal: status, topic, tally, deadline, failure."""
    cli.emit(dao.get_proposal(cli.session, sns_name, proposal_id).to_json())


@proposal.command("vote")
@click.argument("sns_name", metavar="SNS")
@click.argument("proposal_id", type=int)
@click.option(
    "--neuron", "neurons", multiple=True, required=True, help="Voting neuron (repeatable)."
)
@click.option("--yes/--no", "yes", required=True, help="The vote.")
@operation
def proposal_vote(
    cli: Cli, sns_name: str, proposal_id: int, neurons: tuple[str, ...], yes: bool
) -> None:
    """Vote on PROPOSAL_ID with one or more neurons."""
    view = dao.vote(
        cli.session, sns_name, proposal_id, [dao.parse_neuron_id(n) for n in neurons], yes=yes
    )
    cli.emit(
        {"proposal_id": proposal_id, "vote": "yes" if yes else "no", "proposal": view.to_json()},
        lambda: click.echo(
            f"voted {'Yes' if yes else 'No'} with {len(neurons)} neuron(s); proposal is "
            f"{view.status} (yes {ledger.format_icp(view.yes_e8s)} / no "
            f"{ledger.format_icp(view.no_e8s)})"
        ),
    )


@proposal.command("motion")
@click.argument("sns_name", metavar="SNS")
@click.option("--neuron", "neuron_id", required=True, help="The proposing neuron.")
@click.option("--title", required=True)
@click.option("--text", "motion_text", required=True, help="The motion's text.")
@click.option("--summary", default="", help="The proposal's summary.")
@operation
def proposal_motion(
    cli: Cli, sns_name: str, neuron_id: str, title: str, motion_text: str, summary: str
) -> None:
    """Make a motion proposal (the SNS's reject cost is charged if it is rejected)."""
    view = dao.make_motion(
        cli.session,
        sns_name,
        dao.parse_neuron_id(neuron_id),
        title=title,
        text=motion_text,
        summary=summary,
    )
    cli.emit(view.to_json(), lambda: click.echo(f"proposal {view.id} is {view.status}"))
