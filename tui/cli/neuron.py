"""`icbox neuron`: stake, read and manage neurons, follow, vote, and who decides a vote."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tui.cli.common import Cli, operation, table
from tui.cli.lazy import lazy_module
from tui.ops.errors import UsageError

if TYPE_CHECKING:
    from tui.ops import durations, ledger
    from tui.ops import neurons as ops
else:
    ops = lazy_module("tui.ops.neurons")
    ledger = lazy_module("tui.ops.ledger")
    durations = lazy_module("tui.ops.durations")


def _seconds(cli: Cli, text: str) -> int:
    return durations.parse_duration(text).seconds(cli.session.target.time_scale)


def _done(cli: Cli, document: dict[str, Any], line: str) -> None:
    cli.emit(document, lambda: click.echo(line))


@click.group()
def neuron() -> None:
    """Neurons: ICP locked to vote on proposals.

    \b
    Examples:
      icbox neuron stake 10 --dissolve-delay 200d
      icbox neuron list
      icbox neuron follow 42 --topic governance --followees 1
      icbox neuron vote 42 --proposal 7 --yes
      icbox neuron who-decides 42 --topic subnet-management
    """


@neuron.command()
@click.argument("amount")
@click.option(
    "--dissolve-delay", default=None, help="Dissolve delay to set at once (e.g. 200d, 6mo, 8y)."
)
@click.option(
    "--memo", type=click.IntRange(0, 2**64 - 1), default=None, help="Nonce of the neuron's account."
)
@operation
def stake(cli: Cli, amount: str, dissolve_delay: str | None, memo: int | None) -> None:
    """Stake AMOUNT ICP in a new neuron (a ledger transfer, then a claim).

    A duration with a unit (s, min, h, d, w, mo, y) is governance time, scaled by
    the network's preset (on `local` one day lasts 60 s); a bare number is the
    network's seconds.
    """
    amount_e8s = ledger.parse_icp(amount)
    delay = _seconds(cli, dissolve_delay) if dissolve_delay else 0
    result = ops.stake(cli.session, amount_e8s, memo=memo, dissolve_delay_seconds=delay)
    _done(
        cli,
        result.to_json(),
        f"neuron {result.neuron_id} staked with {ledger.format_icp(result.stake_e8s)} ICP "
        f"(block {result.block_index}, fee {ledger.format_icp(result.fee_e8s)} ICP)",
    )


def _neuron_rows(views: list[ops.NeuronView], time_scale: int) -> list[list[Any]]:
    return [
        [
            v.neuron_id,
            v.known_name or "",
            ledger.format_icp(v.stake_e8s),
            durations.describe(v.dissolve_delay_seconds, time_scale),
            v.state,
            ledger.format_icp(v.voting_power),
            v.visibility,
        ]
        for v in views
    ]


COLUMNS = ["id", "name", "stake ICP", "delay", "state", "voting power", "visibility"]


@neuron.command("list")
@operation
def list_(cli: Cli) -> None:
    """The neurons the identity controls or is a hot key of."""
    views = ops.list_neurons(cli.session)
    cli.emit(
        {"neurons": [v.to_json() for v in views]},
        lambda: table(None, COLUMNS, _neuron_rows(views, cli.session.target.time_scale)),
    )


@neuron.command()
@click.argument("neuron_id", type=int)
@operation
def show(cli: Cli, neuron_id: int) -> None:
    """One neuron: stake, maturity, dissolve state, voting power, hot keys, followees."""
    view = ops.get_neuron(cli.session, neuron_id)

    def render() -> None:
        table(f"neuron {neuron_id}", COLUMNS, _neuron_rows([view], cli.session.target.time_scale))
        click.echo(f"controller  {view.controller or '(not readable)'}")
        click.echo(
            f"maturity    {ledger.format_icp(view.maturity_e8s)} ICP (staked {ledger.format_icp(view.staked_maturity_e8s)})"
        )
        click.echo(f"hot keys    {', '.join(view.hot_keys) or '-'}")
        for topic, followees in sorted(view.followees.items()):
            click.echo(
                f"follows on {ops.topic_name(topic)}: {', '.join(map(str, followees)) or '-'}"
            )

    cli.emit(view.to_json(), render)


@neuron.command("increase-dissolve-delay")
@click.argument("neuron_id", type=int)
@click.option("--by", "by", required=True, help="Governance time to add (e.g. 200d, 8y).")
@operation
def increase_dissolve_delay(cli: Cli, neuron_id: int, by: str) -> None:
    """Add to the dissolve delay (voting needs at least six months).

    A duration with a unit (s, min, h, d, w, mo, y) is governance time, scaled by
    the network's preset (on `local` one day lasts 60 s); a bare number is the
    network's seconds.
    """
    seconds = _seconds(cli, by)
    ops.increase_dissolve_delay(cli.session, neuron_id, seconds)
    _done(
        cli,
        {"neuron_id": neuron_id, "added_seconds": seconds},
        f"neuron {neuron_id}: dissolve delay "
        f"+{durations.describe(seconds, cli.session.target.time_scale)} ({seconds} s)",
    )


@neuron.command("start-dissolving")
@click.argument("neuron_id", type=int)
@operation
def start_dissolving(cli: Cli, neuron_id: int) -> None:
    """Start the dissolve countdown."""
    ops.start_dissolving(cli.session, neuron_id)
    _done(cli, {"neuron_id": neuron_id, "state": "dissolving"}, f"neuron {neuron_id} is dissolving")


@neuron.command("stop-dissolving")
@click.argument("neuron_id", type=int)
@operation
def stop_dissolving(cli: Cli, neuron_id: int) -> None:
    """Stop the dissolve countdown."""
    ops.stop_dissolving(cli.session, neuron_id)
    _done(
        cli,
        {"neuron_id": neuron_id, "state": "not-dissolving"},
        f"neuron {neuron_id} stopped dissolving",
    )


def _ids(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError as error:
        raise UsageError(f"{text!r} is not a comma-separated list of neuron ids") from error


@neuron.command()
@click.argument("neuron_id", type=int)
@click.option("--topic", required=True, help="Topic name or number ('all' for the catch-all).")
@click.option("--followees", required=True, help="Comma-separated neuron ids.")
@operation
def follow(cli: Cli, neuron_id: int, topic: str, followees: str) -> None:
    """Follow FOLLOWEES on a topic (replaces the list for that topic)."""
    parsed = ops.parse_topic(topic)
    ids = _ids(followees)
    ops.follow(cli.session, neuron_id, int(parsed), ids)
    _done(
        cli,
        {"neuron_id": neuron_id, "topic": ops.topic_name(parsed), "followees": list(ids)},
        f"neuron {neuron_id} follows {', '.join(map(str, ids))} on {ops.topic_name(parsed)}",
    )


@neuron.command()
@click.argument("neuron_id", type=int)
@click.option("--topic", required=True, help="Topic name or number ('all' for the catch-all).")
@operation
def unfollow(cli: Cli, neuron_id: int, topic: str) -> None:
    """Stop following on a topic (an empty list)."""
    parsed = ops.parse_topic(topic)
    ops.follow(cli.session, neuron_id, int(parsed), ())
    _done(
        cli,
        {"neuron_id": neuron_id, "topic": ops.topic_name(parsed), "followees": []},
        f"neuron {neuron_id} follows no one on {ops.topic_name(parsed)}",
    )


@neuron.command()
@click.argument("neuron_id", type=int)
@click.option("--proposal", type=int, required=True, help="The proposal id.")
@click.option("--yes/--no", "yes", required=True, help="The vote.")
@operation
def vote(cli: Cli, neuron_id: int, proposal: int, yes: bool) -> None:
    """Vote on a proposal with one neuron."""
    ops.vote(cli.session, neuron_id, proposal, yes=yes)
    _done(
        cli,
        {"neuron_id": neuron_id, "proposal_id": proposal, "vote": "yes" if yes else "no"},
        f"neuron {neuron_id} voted {'Yes' if yes else 'No'} on proposal {proposal}",
    )


@neuron.group()
def hotkey() -> None:
    """Hot keys: principals that may vote and follow for a neuron."""


@hotkey.command("add")
@click.argument("neuron_id", type=int)
@click.argument("principal")
@operation
def hotkey_add(cli: Cli, neuron_id: int, principal: str) -> None:
    """Add PRINCIPAL as a hot key of the neuron."""
    ops.add_hot_key(cli.session, neuron_id, ledger.parse_principal(principal))
    _done(
        cli,
        {"neuron_id": neuron_id, "hot_key_added": principal},
        f"neuron {neuron_id}: hot key {principal} added",
    )


@hotkey.command("remove")
@click.argument("neuron_id", type=int)
@click.argument("principal")
@operation
def hotkey_remove(cli: Cli, neuron_id: int, principal: str) -> None:
    """Remove PRINCIPAL from the neuron's hot keys."""
    ops.remove_hot_key(cli.session, neuron_id, ledger.parse_principal(principal))
    _done(
        cli,
        {"neuron_id": neuron_id, "hot_key_removed": principal},
        f"neuron {neuron_id}: hot key {principal} removed",
    )


@neuron.command()
@click.argument("neuron_id", type=int)
@click.option("--amount", required=True, help="ICP to move into the new neuron.")
@operation
def split(cli: Cli, neuron_id: int, amount: str) -> None:
    """Split AMOUNT ICP off into a new neuron."""
    created = ops.split(cli.session, neuron_id, ledger.parse_icp(amount))
    _done(
        cli, {"neuron_id": neuron_id, "created_neuron_id": created}, f"split off neuron {created}"
    )


@neuron.command()
@click.argument("target_id", type=int)
@click.option(
    "--from", "source_id", type=int, required=True, help="The neuron merged into TARGET_ID."
)
@operation
def merge(cli: Cli, target_id: int, source_id: int) -> None:
    """Merge another neuron's stake and maturity into TARGET_ID."""
    ops.merge(cli.session, target_id, source_id)
    _done(
        cli,
        {"neuron_id": target_id, "merged": source_id},
        f"merged neuron {source_id} into {target_id}",
    )


@neuron.command()
@click.argument("neuron_id", type=int)
@click.option("--percentage", type=click.IntRange(1, 100), default=100, show_default=True)
@click.option(
    "--controller", default=None, help="Controller of the new neuron (default: the caller)."
)
@operation
def spawn(cli: Cli, neuron_id: int, percentage: int, controller: str | None) -> None:
    """Spawn a new neuron from maturity."""
    created = ops.spawn(
        cli.session,
        neuron_id,
        percentage,
        ledger.parse_principal(controller) if controller else None,
    )
    _done(cli, {"neuron_id": neuron_id, "created_neuron_id": created}, f"spawned neuron {created}")


@neuron.command("stake-maturity")
@click.argument("neuron_id", type=int)
@click.option("--percentage", type=click.IntRange(1, 100), default=100, show_default=True)
@operation
def stake_maturity(cli: Cli, neuron_id: int, percentage: int) -> None:
    """Stake a percentage of the neuron's maturity."""
    staked = ops.stake_maturity(cli.session, neuron_id, percentage)
    _done(
        cli,
        {"neuron_id": neuron_id, "staked_maturity_e8s": staked},
        f"neuron {neuron_id}: {ledger.format_icp(staked)} ICP of maturity staked",
    )


@neuron.command()
@click.argument("neuron_id", type=int)
@click.option("--to", "to", default=None, help="Receiving account (default: the caller's).")
@click.option("--amount", default=None, help="ICP (default: all).")
@operation
def disburse(cli: Cli, neuron_id: int, to: str | None, amount: str | None) -> None:
    """Pay out a dissolved neuron's stake."""
    block = ops.disburse(
        cli.session,
        neuron_id,
        ledger.parse_account(to) if to else None,
        ledger.parse_icp(amount) if amount else None,
    )
    _done(
        cli,
        {"neuron_id": neuron_id, "block_index": block},
        f"neuron {neuron_id} disbursed in block {block}",
    )


@neuron.command("disburse-maturity")
@click.argument("neuron_id", type=int)
@click.option("--percentage", type=click.IntRange(1, 100), default=100, show_default=True)
@click.option("--to", "to", default=None, help="Receiving account (default: the caller's).")
@operation
def disburse_maturity(cli: Cli, neuron_id: int, percentage: int, to: str | None) -> None:
    """Disburse a percentage of the neuron's maturity (paid out after seven days)."""
    amount = ops.disburse_maturity(
        cli.session, neuron_id, percentage, ledger.parse_account(to) if to else None
    )
    _done(
        cli,
        {"neuron_id": neuron_id, "amount_disbursed_e8s": amount},
        f"neuron {neuron_id}: {ledger.format_icp(amount or 0)} ICP of maturity disbursing",
    )


@neuron.command()
@click.argument("neuron_id", type=int)
@operation
def refresh(cli: Cli, neuron_id: int) -> None:
    """Refresh the stake from the ledger and confirm the following (refreshes voting power)."""
    ops.refresh(cli.session, neuron_id)
    _done(cli, {"neuron_id": neuron_id, "refreshed": True}, f"neuron {neuron_id} refreshed")


@neuron.command("set-visibility")
@click.argument("neuron_id", type=int)
@click.argument("visibility", type=click.Choice(["public", "private"]))
@operation
def set_visibility(cli: Cli, neuron_id: int, visibility: str) -> None:
    """Make the neuron public (its following and votes readable by all) or private."""
    ops.set_visibility(cli.session, neuron_id, visibility == "public")
    _done(
        cli,
        {"neuron_id": neuron_id, "visibility": visibility},
        f"neuron {neuron_id} is {visibility}",
    )


@neuron.command("who-decides")
@click.argument("neuron_id", type=int)
@click.option("--topic", required=True, help="Topic name or number.")
@operation
def who_decides(cli: Cli, neuron_id: int, topic: str) -> None:
    """Whose vote decides NEURON_ID's vote on a topic: the chains of following and the power behind each.

    \b
    Example:
      icbox neuron who-decides 42 --topic subnet-management
    """
    parsed = ops.parse_topic(topic)
    result = ops.get_who_decides(cli.session, neuron_id, int(parsed))

    def render() -> None:
        from rich.tree import Tree

        from tui.cli.common import console as make_console

        def label(node: Any) -> str:
            name = f" [bold]{node.name}[/bold]" if node.name else ""
            return f"neuron {node.neuron_id}{name}  {ledger.format_icp(node.voting_power)} VP  [dim]{node.rule}[/dim]"

        def grow(branch: Tree, node: Any) -> None:
            for child in node.followees:
                grow(branch.add(label(child)), child)

        root = Tree(label(result.tree))
        grow(root, result.tree)
        console = make_console()
        console.print(f"Who decides neuron {neuron_id}'s vote on {ops.topic_name(parsed)}:")
        console.print(root)
        for decider in result.deciders:
            chains = "; ".join(" -> ".join(map(str, chain)) for chain in decider.chains)
            verdict = "decides alone" if decider.sole else "shares the decision"
            console.print(
                f"neuron {decider.neuron_id}{' ' + decider.name if decider.name else ''} {verdict}: "
                f"{ledger.format_icp(decider.voting_power_behind)} VP follows it; via {chains}"
            )

    cli.emit(result.to_json(), render)
