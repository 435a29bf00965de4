"""`icbox proposal`: list, show, watch, vote, and make proposals of every chain-evolution kind."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tui.cli.common import Cli, confirm, console, operation, table
from tui.cli.lazy import lazy_module
from tui.ops.errors import UsageError

if TYPE_CHECKING:
    from tui.ops import actions, durations, ledger
    from tui.ops import proposals as ops
else:
    durations = lazy_module("tui.ops.durations")
    actions = lazy_module("tui.ops.actions")
    ops = lazy_module("tui.ops.proposals")
    ledger = lazy_module("tui.ops.ledger")


def _rows(views: list[ops.ProposalView]) -> list[list[Any]]:
    return [
        [
            v.proposal_id,
            v.title[:48],
            v.topic,
            v.status,
            ledger.format_icp(v.yes),
            ledger.format_icp(v.no),
            _remaining(v.deadline_s) if v.status == "open" else "",
        ]
        for v in views
    ]


def _remaining(deadline_s: int | None) -> str:
    if deadline_s is None:
        return ""
    left = deadline_s - int(time.time())
    return "passed" if left <= 0 else f"{left // 3600}h{left % 3600 // 60:02d}m{left % 60:02d}s"


COLUMNS = ["id", "title", "topic", "status", "yes", "no", "deadline in"]


@click.group()
def proposal() -> None:
    """NNS proposals.

    \b
    Examples:
      icbox proposal list --status open
      icbox proposal show 7
      icbox proposal watch 7
      icbox proposal vote 7 --neuron 42 --yes
      icbox proposal make motion --neuron 42 --title "..." --text "..." --dry-run
      icbox proposal make update-subnet --neuron 42 --subnet SUBNET --halt --yes
    """


@proposal.command("list")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--before", type=int, default=None, help="Only proposals with a smaller id (paging).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    help="open, rejected, adopted, executed or failed (repeatable).",
)
@operation
def list_(cli: Cli, limit: int, before: int | None, statuses: tuple[str, ...]) -> None:
    """The latest proposals, newest first."""
    views = ops.list_proposals(
        cli.session, limit=limit, before=before, status=tuple(ops.parse_status(s) for s in statuses)
    )
    cli.emit(
        {"proposals": [v.to_json() for v in views]}, lambda: table(None, COLUMNS, _rows(views))
    )


def _render(view: ops.ProposalView) -> None:
    table(f"proposal {view.proposal_id}", COLUMNS, _rows([view]))
    click.echo(f"action    {view.action} {view.action_details}")
    click.echo(
        f"proposer  neuron {view.proposer}; reject cost {ledger.format_icp(view.reject_cost_e8s)} ICP"
    )
    click.echo(
        f"tally     yes {ledger.format_icp(view.yes)} / no {ledger.format_icp(view.no)} of {ledger.format_icp(view.total)}"
    )
    if view.failure:
        click.echo(f"failure   {view.failure}")
    if view.summary:
        click.echo(f"summary   {view.summary}")


@proposal.command()
@click.argument("proposal_id", type=int)
@operation
def show(cli: Cli, proposal_id: int) -> None:
    """One proposal: action, tally, deadline, status."""
    view = ops.get_proposal(cli.session, proposal_id)
    cli.emit(view.to_json(), lambda: _render(view))


@proposal.command()
@click.argument("proposal_id", type=int)
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait at most.")
@click.option(
    "--until",
    "until",
    type=click.Choice(["decided", "final"]),
    default="final",
    show_default=True,
    help="decided: adopted or rejected; final: executed, failed or rejected.",
)
@operation
def watch(cli: Cli, proposal_id: int, timeout: float, until: str) -> None:
    """Follow a proposal's tally and deadline (wait-for-quiet moves it) until it is decided and executed.

    With --json, one JSON document per change (JSON lines), the last one final.
    """
    stop: Callable[[ops.ProposalView], bool] = (
        (lambda v: v.is_decided) if until == "decided" else (lambda v: v.is_final)
    )
    last = None
    for view in ops.watch(cli.session, proposal_id, timeout_s=timeout, until=stop):
        last = view
        if cli.as_json:
            click.echo(__import__("json").dumps(view.to_json()))
        else:
            click.echo(
                f"{time.strftime('%H:%M:%S')}  proposal {view.proposal_id}: {view.status:<9} "
                f"yes {ledger.format_icp(view.yes)}  no {ledger.format_icp(view.no)}  of {ledger.format_icp(view.total)}  "
                f"deadline in {_remaining(view.deadline_s) or '-'}"
            )
    if last is not None and not cli.as_json:
        click.echo(
            f"proposal {proposal_id} is {last.status}"
            + (f": {last.failure}" if last.failure else "")
        )


@proposal.command()
@click.argument("proposal_id", type=int)
@click.option(
    "--neuron",
    "neurons",
    type=int,
    multiple=True,
    required=True,
    help="Voting neuron (repeatable).",
)
@click.option("--yes/--no", "yes", required=True, help="The vote.")
@operation
def vote(cli: Cli, proposal_id: int, neurons: tuple[int, ...], yes: bool) -> None:
    """Vote on PROPOSAL_ID with one or more neurons."""
    view = ops.vote(cli.session, proposal_id, neurons, yes=yes)
    cli.emit(
        {
            "proposal_id": proposal_id,
            "neurons": list(neurons),
            "vote": "yes" if yes else "no",
            "proposal": view.to_json(),
        },
        lambda: click.echo(
            f"voted {'Yes' if yes else 'No'} with {len(neurons)} neuron(s); proposal is "
            f"{view.status} (yes {ledger.format_icp(view.yes)} / no {ledger.format_icp(view.no)})"
        ),
    )


@proposal.group()
def make() -> None:
    """Make a proposal: shows it, its reject cost, the registry diff and the projected tally, then asks.

    \b
    Examples:
      icbox proposal make motion --neuron 1 --title "Hello" --text "Let us" --yes
      icbox proposal make create-subnet --neuron 1 --nodes N1,N2,N3,N4 --replica-version 0.1.0 --dry-run
      icbox proposal make deploy-subnet --neuron 1 --subnet SUBNET --version 0.2.0 --json --yes
      icbox proposal make network-economics --reject-cost 2 --min-dissolve-delay-to-vote 3mo --dry-run
    """


def _render_preview(preview: ops.ProposalPreview) -> None:
    out = console()
    out.print(f"[bold]{preview.action.kind}[/bold] by neuron {preview.neuron_id}: {preview.title}")
    out.print(f"  topic        {preview.to_json()['topic']}")
    for key, value in preview.action.summary_of_action.items():
        out.print(f"  {key:<12} {value}")
    out.print(
        f"  reject cost  {ledger.format_icp(preview.reject_cost_e8s)} ICP (paid by the neuron if rejected)"
    )
    registry = preview.registry
    if registry is not None:
        if not registry.valid:
            out.print(f"  [red]the registry would refuse it:[/red] {registry.error}")
        else:
            diff = registry.diff or {}
            changes = {
                k: v
                for k, v in diff.items()
                if v
                and k not in ("from_version", "to_version")
                and v != {"added": [], "removed": []}
            }
            out.print(
                f"  registry     version {diff.get('from_version')} -> {diff.get('to_version')}: "
                f"{changes or 'no topology change'}"
            )
    tally = preview.projected
    out.print(
        f"  projected    yes {ledger.format_icp(tally.yes)} of {ledger.format_icp(tally.total)} voting power "
        f"({tally.neurons_seen} neurons visible); "
        + ("adopted at once" if tally.adopted_at_once else "needs more votes")
    )


def make_command(
    kind: str, help_text: str
) -> Callable[[Callable[..., actions.ProposalAction]], click.Command]:
    """A `make` subcommand: its own options build the action; the shared ones file it."""

    def decorate(build: Callable[..., actions.ProposalAction]) -> click.Command:
        def run(
            cli: Cli,
            neuron: int | None,
            title: str | None,
            summary: str,
            url: str,
            dry_run: bool,
            yes: bool,
            **options: Any,
        ) -> None:
            # A builder that reads the network (e.g. its preset for durations) takes `cli` too.
            wants_cli = "cli" in inspect.signature(build).parameters
            action = build(cli=cli, **options) if wants_cli else build(**options)
            neuron_id = neuron if neuron is not None else cli.session.target.neuron_id
            if neuron_id is None:
                raise UsageError("give --neuron (the proposing neuron)")
            preview = ops.preview_proposal(
                cli.session,
                neuron_id=neuron_id,
                title=title or f"{kind} proposal",
                summary=summary,
                url=url,
                action=action,
            )
            if dry_run:
                cli.emit(
                    {"dry_run": True, "preview": preview.to_json()},
                    lambda: _render_preview(preview),
                )
                return
            if not cli.as_json:
                _render_preview(preview)
            if not confirm(cli, "Submit this proposal?", yes=yes):
                raise click.Abort
            proposal_id = ops.submit_proposal(cli.session, preview)
            cli.emit(
                {"dry_run": False, "proposal_id": proposal_id, "preview": preview.to_json()},
                lambda: click.echo(
                    f"proposal {proposal_id} submitted (icbox proposal watch {proposal_id})"
                ),
            )

        run.__doc__ = help_text
        run.__name__ = build.__name__.lstrip("_")
        command = operation(run)
        for decorator in (
            click.option("--yes", is_flag=True, help="Submit without asking."),
            click.option("--dry-run", is_flag=True, help="Show the preview only; submit nothing."),
            click.option("--url", default="", help="A link for voters."),
            click.option("--summary", default="", help="What and why (markdown)."),
            click.option("--title", default=None, help="The proposal's title."),
            click.option(
                "--neuron",
                type=int,
                default=None,
                help="The proposing neuron (default: the local network's neuron).",
            ),
        ):
            command = decorator(command)
        command.__click_params__.extend(getattr(build, "__click_params__", []))  # type: ignore[attr-defined]
        return make.command(kind)(command)

    return decorate


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@make_command("motion", "A motion: text the NNS adopts or rejects, with no effect on the network.")
@click.option("--text", "text", required=True, help="The motion's text.")
def _motion(text: str) -> actions.ProposalAction:
    return actions.motion(text)


@make_command(
    "create-subnet", "Create a subnet of unassigned NODES running an elected replica version."
)
@click.option("--nodes", required=True, help="Comma-separated node ids.")
@click.option("--replica-version", required=True, help="An elected replica version.")
@click.option("--subnet-type", default="application", show_default=True)
@click.option("--dkg-interval", type=int, default=19, show_default=True)
def _create_subnet(
    nodes: str, replica_version: str, subnet_type: str, dkg_interval: int
) -> actions.ProposalAction:
    return actions.create_subnet(
        _list(nodes),
        replica_version=replica_version,
        subnet_type=subnet_type,
        dkg_interval_length=dkg_interval,
    )


@make_command("add-nodes", "Add unassigned nodes to a subnet.")
@click.option("--subnet", required=True)
@click.option("--nodes", required=True, help="Comma-separated node ids.")
def _add_nodes(subnet: str, nodes: str) -> actions.ProposalAction:
    return actions.add_nodes_to_subnet(subnet, _list(nodes))


@make_command("remove-nodes", "Remove nodes from their subnets (they become unassigned).")
@click.option("--nodes", required=True, help="Comma-separated node ids.")
def _remove_nodes(nodes: str) -> actions.ProposalAction:
    return actions.remove_nodes_from_subnet(_list(nodes))


@make_command("change-membership", "Add and remove subnet members in one step (replace nodes).")
@click.option("--subnet", required=True)
@click.option("--add", "add", default="", help="Comma-separated node ids to add.")
@click.option("--remove", "remove", default="", help="Comma-separated node ids to remove.")
def _change_membership(subnet: str, add: str, remove: str) -> actions.ProposalAction:
    return actions.change_subnet_membership(subnet, _list(add), _list(remove))


@make_command("update-subnet", "Change a subnet's configuration, or halt and unhalt it.")
@click.option("--subnet", required=True)
@click.option("--halt/--unhalt", "halt", default=None, help="Halt the subnet (or resume it).")
@click.option("--dkg-interval", type=int, default=None)
@click.option("--unit-delay-ms", type=int, default=None)
def _update_subnet(
    subnet: str, halt: bool | None, dkg_interval: int | None, unit_delay_ms: int | None
) -> actions.ProposalAction:
    return actions.update_subnet(
        subnet, is_halted=halt, dkg_interval_length=dkg_interval, unit_delay_millis=unit_delay_ms
    )


@make_command("elect-version", "Elect a replica version (its package hash and download URLs).")
@click.option("--version", "version", required=True)
@click.option("--sha256", default=None, help="Hex SHA-256 of the release package.")
@click.option(
    "--package", type=click.Path(exists=True, dir_okay=False), default=None, help="Hash this file."
)
@click.option(
    "--package-url", "urls", multiple=True, help="Download URL of the package (repeatable)."
)
def _elect(
    version: str, sha256: str | None, package: str | None, urls: tuple[str, ...]
) -> actions.ProposalAction:
    data = Path(package).read_bytes() if package else None
    return actions.elect_replica_version(version, urls=list(urls), sha256_hex=sha256, package=data)


@make_command("retire-version", "Retire (unelect) replica versions no node runs any more.")
@click.option("--versions", required=True, help="Comma-separated versions.")
def _retire(versions: str) -> actions.ProposalAction:
    return actions.retire_replica_versions(_list(versions))


@make_command("deploy-subnet", "Deploy an elected version to every node of a subnet.")
@click.option("--subnet", required=True)
@click.option("--version", "version", required=True)
def _deploy_subnet(subnet: str, version: str) -> actions.ProposalAction:
    return actions.deploy_to_subnet(subnet, version)


@make_command("deploy-unassigned", "Deploy an elected version to every unassigned node.")
@click.option("--version", "version", required=True)
def _deploy_unassigned(version: str) -> actions.ProposalAction:
    return actions.deploy_to_unassigned(version)


@make_command("add-node-operator", "Add a node operator with a node allowance in a data center.")
@click.option("--operator", required=True, help="The operator's principal.")
@click.option("--provider", required=True, help="The node provider's principal.")
@click.option("--allowance", type=click.IntRange(0), default=1, show_default=True)
@click.option("--dc", "data_center", required=True, help="Data center id.")
def _add_operator(
    operator: str, provider: str, allowance: int, data_center: str
) -> actions.ProposalAction:
    return actions.add_node_operator(
        operator, provider, allowance=allowance, data_center=data_center
    )


@make_command("data-centers", "Add and remove data centers.")
@click.option("--add", "add", multiple=True, help="id:region:owner (repeatable).")
@click.option("--remove", "remove", multiple=True, help="Data center id (repeatable).")
def _data_centers(add: tuple[str, ...], remove: tuple[str, ...]) -> actions.ProposalAction:
    return actions.data_centers(list(add), list(remove))


@make_command("install-code", "Install, reinstall or upgrade the code of an NNS canister.")
@click.option("--canister", required=True)
@click.option("--wasm", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option(
    "--mode",
    type=click.Choice(["install", "reinstall", "upgrade"]),
    default="upgrade",
    show_default=True,
)
@click.option("--arg", "arg_hex", default="", help="Hex install argument.")
def _install_code(canister: str, wasm: str, mode: str, arg_hex: str) -> actions.ProposalAction:
    try:
        arg = bytes.fromhex(arg_hex)
    except ValueError as error:
        raise UsageError("--arg is hex") from error
    return actions.install_code(canister, Path(wasm).read_bytes(), mode=mode, arg=arg)


@make_command("register-known-neuron", "Give a neuron a public name others can follow.")
@click.option("--known-neuron", "known", type=int, required=True, help="The neuron to name.")
@click.option("--name", required=True)
@click.option("--description", default=None)
def _known(known: int, name: str, description: str | None) -> actions.ProposalAction:
    return actions.register_known_neuron(known, name, description)


@make_command(
    "network-economics",
    "Change the network's economics (ManageNetworkEconomics); what is not given stays.",
)
@click.option("--reject-cost", default=None, help="ICP a rejected proposal costs its proposer.")
@click.option("--min-stake", default=None, help="The smallest stake of a neuron, in ICP.")
@click.option("--management-fee", default=None, help="ICP a rejected ManageNeuron proposal costs.")
@click.option("--transaction-fee", default=None, help="The ledger fee governance assumes, in ICP.")
@click.option(
    "--max-node-provider-rewards", default=None, help="The most ICP one provider is paid a month."
)
@click.option(
    "--min-icp-xdr-rate", type=click.IntRange(1), default=None, help="XDR permyriad per ICP."
)
@click.option(
    "--max-proposals-per-topic",
    type=click.IntRange(1, 2**32 - 1),
    default=None,
    help="Settled proposals kept per topic.",
)
@click.option(
    "--spawn-dissolve-delay", default=None, help="Dissolve delay of a spawned neuron (e.g. 7d)."
)
@click.option(
    "--min-dissolve-delay-to-vote", default=None, help="The least dissolve delay that votes (6mo)."
)
@click.option(
    "--start-reducing-voting-power-after",
    default=None,
    help="Inactivity before voting power decreases (e.g. 6mo).",
)
@click.option(
    "--clear-following-after", default=None, help="Decrease period until following is cleared."
)
def _network_economics(
    cli: Cli,
    reject_cost: str | None,
    min_stake: str | None,
    management_fee: str | None,
    transaction_fee: str | None,
    max_node_provider_rewards: str | None,
    min_icp_xdr_rate: int | None,
    max_proposals_per_topic: int | None,
    spawn_dissolve_delay: str | None,
    min_dissolve_delay_to_vote: str | None,
    start_reducing_voting_power_after: str | None,
    clear_following_after: str | None,
) -> actions.ProposalAction:
    def icp(text: str | None) -> int | None:
        return None if text is None else ledger.parse_icp(text)

    def seconds(text: str | None) -> int | None:
        if text is None:
            return None
        return durations.parse_duration(text).seconds(cli.session.target.time_scale)

    return actions.manage_network_economics(
        {
            "reject_cost_e8s": icp(reject_cost),
            "neuron_minimum_stake_e8s": icp(min_stake),
            "neuron_management_fee_per_proposal_e8s": icp(management_fee),
            "transaction_fee_e8s": icp(transaction_fee),
            "maximum_node_provider_rewards_e8s": icp(max_node_provider_rewards),
            "minimum_icp_xdr_rate": min_icp_xdr_rate,
            "max_proposals_to_keep_per_topic": max_proposals_per_topic,
            "neuron_spawn_dissolve_delay_seconds": seconds(spawn_dissolve_delay),
            "neuron_minimum_dissolve_delay_to_vote_seconds": seconds(min_dissolve_delay_to_vote),
            "start_reducing_voting_power_after_seconds": seconds(start_reducing_voting_power_after),
            "clear_following_after_seconds": seconds(clear_following_after),
        }
    )
